import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { IssuerMismatchError, PkceNotSupportedError, ResourceMismatchError } from '../src/auth/index.js';
import {
  discoverLegacyAuthorizationServer,
  discoverProtectedResource,
  fetchPolicyFor,
  parseWwwAuthenticate,
  type FetchPolicy,
} from '../src/auth/discovery/index.js';

// Where the resource identifier of a root well-known document may be the origin (RFC 9728 section 3.3), and the
// MCP 2025-03-26 rules for servers without protected resource metadata. Every server here is on 127.0.0.1.

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function json(body: unknown): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
}

describe('metadata discovery for servers of earlier spec revisions', () => {
  const routes = new Map<string, Handler>();
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const handler = routes.get(req.url ?? '');
    if (handler) return handler(req, res);
    res.statusCode = 404;
    res.end('not found');
  });
  let base = '';
  let policy: FetchPolicy;
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    policy = fetchPolicyFor(`${base}/mcp`, {});
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    routes.clear();
    hits.length = 0;
  });

  describe('protected resource metadata at the root well-known URL', () => {
    it('may name the origin, the resource into which the well-known suffix was inserted', async () => {
      for (const resource of [base, `${base}/`]) {
        routes.set('/.well-known/oauth-protected-resource', json({ resource, authorization_servers: [`${base}/as`] }));
        assert.equal((await discoverProtectedResource(`${base}/mcp`, undefined, policy))?.resource, resource);
      }
    });

    it('may still name the server URL', async () => {
      routes.set('/.well-known/oauth-protected-resource', json({ resource: `${base}/mcp`, authorization_servers: [`${base}/as`] }));
      assert.equal((await discoverProtectedResource(`${base}/mcp`, undefined, policy))?.resource, `${base}/mcp`);
    });

    it('may not name the origin when found at the path-aware URL or through the challenge', async () => {
      routes.set('/.well-known/oauth-protected-resource/mcp', json({ resource: base, authorization_servers: [`${base}/as`] }));
      await assert.rejects(discoverProtectedResource(`${base}/mcp`, undefined, policy), ResourceMismatchError);
      routes.clear();
      routes.set('/.well-known/oauth-protected-resource', json({ resource: base, authorization_servers: [`${base}/as`] }));
      const challenge = parseWwwAuthenticate(`Bearer resource_metadata="${base}/.well-known/oauth-protected-resource"`);
      await assert.rejects(discoverProtectedResource(`${base}/mcp`, challenge, policy), ResourceMismatchError);
    });

    it('may not name another origin or another path', async () => {
      for (const resource of ['https://evil.example.com', `${base}/other`, `http://127.0.0.2:${new URL(base).port}`]) {
        routes.set('/.well-known/oauth-protected-resource', json({ resource, authorization_servers: [`${base}/as`] }));
        await assert.rejects(discoverProtectedResource(`${base}/mcp`, undefined, policy), ResourceMismatchError, resource);
      }
    });
  });

  describe('discoverLegacyAuthorizationServer (MCP 2025-03-26)', () => {
    const metadata = (issuer: string, extra: Record<string, unknown> = {}) => ({
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      code_challenge_methods_supported: ['S256'],
      ...extra,
    });

    it('reads the metadata at the server origin and accepts an issuer on that origin', async () => {
      routes.set('/.well-known/oauth-authorization-server', json(metadata(`${base}/oauth`)));
      const found = await discoverLegacyAuthorizationServer(`${base}/mcp`, policy);
      assert.equal(found.issuer, `${base}/oauth`);
      assert.equal(found.tokenEndpoint, `${base}/oauth/token`);
      assert.deepEqual(hits, ['/.well-known/oauth-authorization-server']);
    });

    it('refuses a document that names an issuer on another origin (it could impersonate that server)', async () => {
      for (const issuer of ['https://as.example.com', `http://127.0.0.2:${new URL(base).port}`, `${base}/t?x=1`]) {
        routes.set('/.well-known/oauth-authorization-server', json(metadata(issuer)));
        await assert.rejects(discoverLegacyAuthorizationServer(`${base}/mcp`, policy), IssuerMismatchError, issuer);
      }
    });

    it('still requires PKCE S256 in a document', async () => {
      routes.set('/.well-known/oauth-authorization-server', json(metadata(base, { code_challenge_methods_supported: ['plain'] })));
      await assert.rejects(discoverLegacyAuthorizationServer(`${base}/mcp`, policy), PkceNotSupportedError);
    });

    it('falls back to /authorize, /token and /register at the origin when no metadata is published', async () => {
      const found = await discoverLegacyAuthorizationServer(`${base}/mcp`, policy);
      assert.deepEqual(hits, ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']);
      assert.equal(found.issuer, base);
      assert.equal(found.authorizationEndpoint, `${base}/authorize`);
      assert.equal(found.tokenEndpoint, `${base}/token`);
      assert.equal(found.registrationEndpoint, `${base}/register`);
      assert.deepEqual(found.codeChallengeMethodsSupported, ['S256']);
      assert.equal(found.authorizationResponseIssParameterSupported, false);
    });
  });
});
