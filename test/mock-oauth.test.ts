import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startMockAuthServer, type MockAuthServer } from '../mock-servers/oauth/index.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from '../mock-servers/protected/index.js';

const REDIRECT = 'http://127.0.0.1:1/callback';
const RESOURCE = 'https://mcp.example.test/mcp';

interface TokenBody {
  access_token?: string;
  refresh_token?: string;
  token_type?: string;
  expires_in?: number;
  scope?: string;
  error?: string;
  error_description?: string;
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: s256(verifier) };
}

/** GETs the authorization endpoint without following the redirect; returns the Location as a URL. */
async function authorize(as: MockAuthServer, params: Record<string, string>): Promise<URL> {
  const url = new URL(as.endpoints.authorization);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url, { redirect: 'manual' });
  assert.equal(res.status, 302, `authorize answered ${res.status}: ${await res.text()}`);
  return new URL(res.headers.get('location') ?? '');
}

async function postForm(url: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; body: TokenBody; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as TokenBody), headers: res.headers };
}

function basic(id: string, secret: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` };
}

async function introspect(as: MockAuthServer, token: string): Promise<Record<string, unknown>> {
  const { body } = await postForm(as.endpoints.introspection, { token });
  return body as Record<string, unknown>;
}

/** Runs the code flow for a public client and returns the token response. */
async function codeFlow(as: MockAuthServer, clientId: string, extra: { scope?: string; resource?: string } = {}): Promise<TokenBody> {
  const { verifier, challenge } = pkcePair();
  const location = await authorize(as, {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st',
    ...(extra.scope !== undefined ? { scope: extra.scope } : {}),
    ...(extra.resource !== undefined ? { resource: extra.resource } : {}),
  });
  const code = location.searchParams.get('code');
  assert.ok(code, `no code in ${location.href}`);
  const { status, body } = await postForm(as.endpoints.token, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    client_id: clientId,
    ...(extra.resource !== undefined ? { resource: extra.resource } : {}),
  });
  assert.equal(status, 200, JSON.stringify(body));
  return body;
}

describe('mock authorization server', () => {
  let as: MockAuthServer;

  before(async () => {
    as = await startMockAuthServer({
      issuerPath: '/tenant1',
      preRegisteredClients: [
        { clientId: 'public-app', redirectUris: [REDIRECT] },
        { clientId: 'confidential-app', clientSecret: 's3cr3t', redirectUris: [REDIRECT] },
      ],
    });
  });
  after(() => as.close());

  describe('discovery', () => {
    it('serves metadata at the RFC 8414 and OIDC path-aware URLs, with the issuer it is reached by', async () => {
      assert.equal(as.issuer, `${as.url}/tenant1`);
      for (const path of ['/.well-known/oauth-authorization-server/tenant1', '/.well-known/openid-configuration/tenant1', '/tenant1/.well-known/openid-configuration']) {
        const res = await fetch(`${as.url}${path}`);
        assert.equal(res.status, 200, path);
        const metadata = (await res.json()) as Record<string, unknown>;
        assert.equal(metadata.issuer, as.issuer);
        assert.equal(metadata.token_endpoint, `${as.issuer}/token`);
        assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
        assert.equal(metadata.client_id_metadata_document_supported, true);
        assert.equal(metadata.authorization_response_iss_parameter_supported, true);
        assert.equal(metadata.registration_endpoint, `${as.issuer}/register`);
      }
      assert.equal((await fetch(`${as.url}/.well-known/oauth-authorization-server`)).status, 404, 'no metadata at the root for a path issuer');
      assert.equal(as.metadataUrl, `${as.url}/.well-known/oauth-authorization-server/tenant1`);
    });

    it('changes metadata at runtime: overrides, no S256, no DCR, fewer discovery URLs', async () => {
      try {
        as.setOptions({ metadataOverrides: { issuer: 'https://evil.example', extra_field: 1 }, advertiseS256: false, dcr: false, metadataEndpoints: ['oidc'] });
        assert.equal((await fetch(`${as.url}/.well-known/oauth-authorization-server/tenant1`)).status, 404);
        const metadata = (await (await fetch(`${as.url}/.well-known/openid-configuration/tenant1`)).json()) as Record<string, unknown>;
        assert.equal(metadata.issuer, 'https://evil.example');
        assert.equal(metadata.extra_field, 1);
        assert.equal('code_challenge_methods_supported' in metadata, false);
        assert.equal('registration_endpoint' in metadata, false);
        const reg = await fetch(as.endpoints.registration, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        assert.equal(reg.status, 404);
      } finally {
        as.setOptions({ metadataOverrides: {}, advertiseS256: true, dcr: true, metadataEndpoints: undefined });
      }
      assert.equal((await fetch(as.metadataUrl)).status, 200, 'undefined restores the default');
    });
  });

  describe('authorization code flow', () => {
    it('issues a code with state and iss, then an ES256 JWT bound to the resource, after PKCE S256', async () => {
      const { verifier, challenge } = pkcePair();
      const location = await authorize(as, {
        response_type: 'code',
        client_id: 'public-app',
        redirect_uri: REDIRECT,
        scope: 'mcp:read mcp:write',
        state: 'xyz',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        resource: RESOURCE,
      });
      assert.equal(`${location.origin}${location.pathname}`, REDIRECT);
      assert.equal(location.searchParams.get('state'), 'xyz');
      assert.equal(location.searchParams.get('iss'), as.issuer, 'RFC 9207 iss');
      const code = location.searchParams.get('code');
      assert.ok(code);

      const lastAuthz = as.inspect().lastAuthorizationRequest;
      assert.equal(lastAuthz?.params.resource, RESOURCE);
      assert.equal(lastAuthz?.outcome, 'approved');
      assert.equal(lastAuthz?.clientSource, 'preregistered');

      const { status, body, headers } = await postForm(as.endpoints.token, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
        client_id: 'public-app',
        resource: RESOURCE,
      });
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(headers.get('cache-control'), 'no-store');
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 3600);
      assert.equal(body.scope, 'mcp:read mcp:write');
      assert.ok(body.refresh_token);

      const jwks = createRemoteJWKSet(new URL(as.endpoints.jwks));
      const { payload, protectedHeader } = await jwtVerify(body.access_token ?? '', jwks, { issuer: as.issuer, audience: RESOURCE });
      assert.equal(protectedHeader.alg, 'ES256');
      assert.equal(payload.sub, 'alice');
      assert.equal(payload.scope, 'mcp:read mcp:write');
      assert.equal(payload.client_id, 'public-app');
      assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 3600);

      // The test can check PKCE itself from what the server recorded.
      const snapshot = as.inspect();
      const verifierSent = snapshot.lastTokenRequest?.params.code_verifier ?? '';
      assert.equal(s256(verifierSent), snapshot.lastAuthorizationRequest?.params.code_challenge);
      const issued = snapshot.tokens.find((t) => t.token === body.access_token);
      assert.equal(issued?.aud, RESOURCE);
      assert.equal(issued?.grantType, 'authorization_code');
      assert.equal(issued?.jti, payload.jti);
    });

    it('issues a token without aud when no resource is sent', async () => {
      const body = await codeFlow(as, 'public-app');
      const [, payload] = (body.access_token ?? '').split('.');
      assert.equal('aud' in JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()), false);
    });

    it('rejects a wrong code_verifier', async () => {
      const { challenge } = pkcePair();
      const location = await authorize(as, { response_type: 'code', client_id: 'public-app', redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256' });
      const { status, body } = await postForm(as.endpoints.token, {
        grant_type: 'authorization_code',
        code: location.searchParams.get('code') ?? '',
        redirect_uri: REDIRECT,
        code_verifier: pkcePair().verifier,
        client_id: 'public-app',
      });
      assert.equal(status, 400);
      assert.equal(body.error, 'invalid_grant');
    });

    it('rejects a replayed code and revokes the tokens it produced', async () => {
      const { verifier, challenge } = pkcePair();
      const location = await authorize(as, { response_type: 'code', client_id: 'public-app', redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256' });
      const exchange = { grant_type: 'authorization_code', code: location.searchParams.get('code') ?? '', redirect_uri: REDIRECT, code_verifier: verifier, client_id: 'public-app' };
      const first = await postForm(as.endpoints.token, exchange);
      assert.equal(first.status, 200);
      assert.equal((await introspect(as, first.body.access_token ?? '')).active, true);
      const replay = await postForm(as.endpoints.token, exchange);
      assert.equal(replay.status, 400);
      assert.equal(replay.body.error, 'invalid_grant');
      assert.equal((await introspect(as, first.body.access_token ?? '')).active, false);
    });

    it('requires PKCE S256 by default and redirects the error to the client', async () => {
      const noPkce = await authorize(as, { response_type: 'code', client_id: 'public-app', redirect_uri: REDIRECT, state: 's1' });
      assert.equal(noPkce.searchParams.get('error'), 'invalid_request');
      assert.equal(noPkce.searchParams.get('state'), 's1');
      assert.equal(noPkce.searchParams.get('iss'), as.issuer);
      const plain = await authorize(as, { response_type: 'code', client_id: 'public-app', redirect_uri: REDIRECT, code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' });
      assert.equal(plain.searchParams.get('error'), 'invalid_request');
    });

    it('does not redirect to an unregistered redirect_uri or for an unknown client', async () => {
      const { challenge } = pkcePair();
      const bad = new URL(as.endpoints.authorization);
      bad.search = new URLSearchParams({ response_type: 'code', client_id: 'public-app', redirect_uri: 'https://attacker.example/cb', code_challenge: challenge, code_challenge_method: 'S256' }).toString();
      const res = await fetch(bad, { redirect: 'manual' });
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('location'), null);
      bad.searchParams.set('client_id', 'nobody');
      assert.equal((await fetch(bad, { redirect: 'manual' })).status, 400);
    });
  });

  describe('refresh tokens', () => {
    it('rotates refresh tokens and revokes the family when a rotated one comes back', async () => {
      const before = as.inspect().counts.refreshGrants;
      const first = await codeFlow(as, 'public-app', { scope: 'mcp:read', resource: RESOURCE });
      const rt1 = first.refresh_token ?? '';
      const second = await postForm(as.endpoints.token, { grant_type: 'refresh_token', refresh_token: rt1, client_id: 'public-app', resource: RESOURCE });
      assert.equal(second.status, 200, JSON.stringify(second.body));
      const rt2 = second.body.refresh_token ?? '';
      assert.ok(rt2);
      assert.notEqual(rt2, rt1);
      assert.equal(second.body.scope, 'mcp:read');
      assert.equal((await introspect(as, second.body.access_token ?? '')).aud, RESOURCE);

      const reuse = await postForm(as.endpoints.token, { grant_type: 'refresh_token', refresh_token: rt1, client_id: 'public-app' });
      assert.equal(reuse.status, 400);
      assert.equal(reuse.body.error, 'invalid_grant');
      const afterReuse = await postForm(as.endpoints.token, { grant_type: 'refresh_token', refresh_token: rt2, client_id: 'public-app' });
      assert.equal(afterReuse.body.error, 'invalid_grant', 'the whole family is revoked');
      assert.equal((await introspect(as, second.body.access_token ?? '')).active, false);
      assert.equal((await introspect(as, first.access_token ?? '')).active, false);

      const counts = as.inspect().counts;
      assert.equal(counts.refreshGrants - before, 3);
      assert.ok((counts.tokenRequests.refresh_token ?? 0) >= 3);
    });

    it('keeps the old refresh token when rotation is off, and never widens scope', async () => {
      as.setOptions({ rotateRefreshTokens: false });
      try {
        const first = await codeFlow(as, 'public-app', { scope: 'a b' });
        const rt = first.refresh_token ?? '';
        for (let i = 0; i < 2; i++) {
          const r = await postForm(as.endpoints.token, { grant_type: 'refresh_token', refresh_token: rt, client_id: 'public-app', scope: 'a' });
          assert.equal(r.status, 200);
          assert.equal(r.body.refresh_token, undefined);
          assert.equal(r.body.scope, 'a');
        }
        const wider = await postForm(as.endpoints.token, { grant_type: 'refresh_token', refresh_token: rt, client_id: 'public-app', scope: 'a c' });
        assert.equal(wider.body.error, 'invalid_scope');
      } finally {
        as.setOptions({ rotateRefreshTokens: true });
      }
    });
  });

  describe('clients', () => {
    it('authenticates confidential clients by client_secret_basic and client_secret_post', async () => {
      const { verifier, challenge } = pkcePair();
      const loc = await authorize(as, { response_type: 'code', client_id: 'confidential-app', redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256' });
      const params = { grant_type: 'authorization_code', code: loc.searchParams.get('code') ?? '', redirect_uri: REDIRECT, code_verifier: verifier };
      const noSecret = await postForm(as.endpoints.token, { ...params, client_id: 'confidential-app' });
      assert.equal(noSecret.status, 401);
      assert.equal(noSecret.body.error, 'invalid_client');

      const pair = pkcePair();
      const loc2 = await authorize(as, { response_type: 'code', client_id: 'confidential-app', redirect_uri: REDIRECT, code_challenge: pair.challenge, code_challenge_method: 'S256' });
      const viaBasic = await postForm(as.endpoints.token, { ...params, code: loc2.searchParams.get('code') ?? '', code_verifier: pair.verifier }, basic('confidential-app', 's3cr3t'));
      assert.equal(viaBasic.status, 200, JSON.stringify(viaBasic.body));
      assert.equal(as.inspect().lastTokenRequest?.clientAuthMethod, 'client_secret_basic');

      const viaPost = await postForm(as.endpoints.token, { grant_type: 'refresh_token', refresh_token: viaBasic.body.refresh_token ?? '', client_id: 'confidential-app', client_secret: 's3cr3t' });
      assert.equal(viaPost.status, 200);
      assert.equal(as.inspect().lastTokenRequest?.clientAuthMethod, 'client_secret_post');

      const wrong = await postForm(as.endpoints.token, { grant_type: 'client_credentials' }, basic('confidential-app', 'nope'));
      assert.equal(wrong.status, 401);
      assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic/);
    });

    it('registers clients dynamically (RFC 7591) and counts registrations', async () => {
      const before = as.inspect().counts.registrations;
      const res = await fetch(as.endpoints.registration, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'switchboard', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] }),
      });
      assert.equal(res.status, 201);
      const registered = (await res.json()) as Record<string, unknown>;
      assert.equal(typeof registered.client_id, 'string');
      assert.equal(registered.client_secret, undefined);
      assert.deepEqual(registered.redirect_uris, [REDIRECT]);
      const tokens = await codeFlow(as, registered.client_id as string);
      assert.ok(tokens.access_token);

      const confidential = (await (
        await fetch(as.endpoints.registration, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: [REDIRECT] }) })
      ).json()) as Record<string, unknown>;
      assert.equal(typeof confidential.client_secret, 'string', 'client_secret_basic is the RFC 7591 default');

      const badUri = await fetch(as.endpoints.registration, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: ['not a uri'] }) });
      assert.equal(badUri.status, 400);
      assert.equal(((await badUri.json()) as TokenBody).error, 'invalid_redirect_uri');
      assert.equal(as.inspect().counts.registrations - before, 3);
    });

    it('fetches a Client ID Metadata Document and checks client_id and redirect_uri against it', async () => {
      let documentClientId = '';
      const docServer: Server = createServer((req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ client_id: documentClientId, client_name: 'Switchboard', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }));
      });
      await new Promise<void>((resolve) => docServer.listen(0, '127.0.0.1', resolve));
      try {
        const clientId = `http://127.0.0.1:${(docServer.address() as AddressInfo).port}/client.json`;
        documentClientId = clientId;
        const tokens = await codeFlow(as, clientId, { resource: RESOURCE });
        assert.ok(tokens.access_token);
        const snapshot = as.inspect();
        assert.ok(snapshot.cimdFetches.includes(clientId));
        assert.equal(snapshot.lastAuthorizationRequest?.clientSource, 'cimd');
        assert.equal(snapshot.tokens.at(-1)?.clientId, clientId);

        const { challenge } = pkcePair();
        const other = new URL(as.endpoints.authorization);
        other.search = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: 'http://127.0.0.1:2/elsewhere', code_challenge: challenge, code_challenge_method: 'S256' }).toString();
        assert.equal((await fetch(other, { redirect: 'manual' })).status, 400, 'redirect_uri not in the document');

        documentClientId = 'https://someone-else.example/client.json';
        other.searchParams.set('redirect_uri', REDIRECT);
        const mismatch = await fetch(other, { redirect: 'manual' });
        assert.equal(mismatch.status, 400, 'document client_id differs from its URL');
        assert.equal(((await mismatch.json()) as TokenBody).error, 'invalid_client');
      } finally {
        await new Promise((resolve) => docServer.close(resolve));
      }
    });

    it('issues client_credentials tokens to confidential clients only, without refresh token', async () => {
      const ok = await postForm(as.endpoints.token, { grant_type: 'client_credentials', scope: 'svc', resource: RESOURCE }, basic('confidential-app', 's3cr3t'));
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.refresh_token, undefined);
      const info = await introspect(as, ok.body.access_token ?? '');
      assert.equal(info.sub, 'confidential-app');
      assert.equal(info.aud, RESOURCE);
      assert.equal(info.scope, 'svc');
      const pub = await postForm(as.endpoints.token, { grant_type: 'client_credentials', client_id: 'public-app' });
      assert.equal(pub.body.error, 'unauthorized_client');
    });
  });

  describe('clock, revocation and fault injection', () => {
    it('expires tokens when the clock advances (introspection inactive)', async () => {
      const { token } = await as.mintAccessToken({ scope: 'x', ttlSeconds: 60 });
      assert.equal((await introspect(as, token)).active, true);
      as.clock.advance(61);
      assert.equal((await introspect(as, token)).active, false);
      assert.equal(as.inspect().tokens.find((t) => t.token === token)?.status, 'expired');
    });

    it('revokes tokens through RFC 7009 and the test API', async () => {
      const a = await as.mintAccessToken();
      const revoke = await postForm(as.endpoints.revocation, { token: a.token });
      assert.equal(revoke.status, 200);
      assert.equal((await introspect(as, a.token)).active, false);
      const b = await as.mintAccessToken();
      as.revokeAccessTokens();
      assert.equal((await introspect(as, b.token)).active, false);
    });

    it('fails the next requests as scripted, keeping token and refresh apart', async () => {
      as.failNext('refresh', { status: 400, error: 'invalid_grant', description: 'scripted' });
      as.failNext('token', { status: 503, error: 'temporarily_unavailable' }, { times: 2 });
      const body = { grant_type: 'client_credentials' };
      assert.equal((await postForm(as.endpoints.token, body, basic('confidential-app', 's3cr3t'))).status, 503);
      assert.equal((await postForm(as.endpoints.token, body, basic('confidential-app', 's3cr3t'))).status, 503);
      assert.equal((await postForm(as.endpoints.token, body, basic('confidential-app', 's3cr3t'))).status, 200);
      const refresh = await postForm(as.endpoints.token, { grant_type: 'refresh_token', refresh_token: 'whatever', client_id: 'public-app' });
      assert.deepEqual(refresh.body, { error: 'invalid_grant', error_description: 'scripted' });

      as.failNext('register', 'hang');
      await assert.rejects(fetch(as.endpoints.registration, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', signal: AbortSignal.timeout(300) }));

      as.failNext('authorize', { status: 302, error: 'temporarily_unavailable' });
      const { challenge } = pkcePair();
      const loc = await authorize(as, { response_type: 'code', client_id: 'public-app', redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state: 'q' });
      assert.equal(loc.searchParams.get('error'), 'temporarily_unavailable');
      assert.equal(loc.searchParams.get('state'), 'q');
    });

    it('serves inspection and control over HTTP without raw tokens', async () => {
      const minted = await as.mintAccessToken({ scope: 'http-api' });
      const state = await (await fetch(`${as.url}/_test/state`)).text();
      assert.equal(state.includes(minted.token), false);
      assert.equal(state.includes('s3cr3t'), false);
      assert.ok(state.includes(minted.tokenSha256));
      const before = as.clock.now();
      const advanced = (await (await fetch(`${as.url}/_test/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"seconds":10}' })).json()) as { now: number };
      assert.ok(advanced.now >= before + 10);
      const user = await fetch(`${as.url}/_test/user`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sub":"carol"}' });
      assert.equal(user.status, 200);
      assert.equal(as.inspect().user, 'carol');
      as.setUser('alice');
      const bad = await fetch(`${as.url}/_test/fail-next`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"endpoint":"nowhere"}' });
      assert.equal(bad.status, 400);
    });
  });

  describe('form approval', () => {
    it('serves a sign-in page; Deny redirects access_denied, Sign in issues a code for the typed user', async () => {
      as.setOptions({ approval: 'form' });
      try {
        const openPage = async (state: string): Promise<string> => {
          const url = new URL(as.endpoints.authorization);
          url.search = new URLSearchParams({ response_type: 'code', client_id: 'public-app', redirect_uri: REDIRECT, code_challenge: pkcePair().challenge, code_challenge_method: 'S256', state }).toString();
          const page = await fetch(url, { redirect: 'manual' });
          assert.equal(page.status, 200);
          const html = await page.text();
          assert.match(html, />Sign in</);
          assert.match(html, />Deny</);
          assert.match(html, /name="username"/);
          return /name="tx" value="([^"]+)"/.exec(html)?.[1] ?? '';
        };
        const submit = (tx: string, decision: string, username = '') =>
          fetch(as.endpoints.authorization, {
            method: 'POST',
            redirect: 'manual',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ tx, decision, username }).toString(),
          });

        const denied = await submit(await openPage('d'), 'deny');
        assert.equal(denied.status, 302);
        const deniedAt = new URL(denied.headers.get('location') ?? '');
        assert.equal(deniedAt.searchParams.get('error'), 'access_denied');
        assert.equal(deniedAt.searchParams.get('state'), 'd');
        assert.equal(deniedAt.searchParams.get('iss'), as.issuer);

        const tx = await openPage('a');
        const approved = await submit(tx, 'approve', 'bob');
        assert.ok(new URL(approved.headers.get('location') ?? '').searchParams.get('code'));
        assert.equal(as.inspect().lastAuthorizationRequest?.sub, 'bob');
        assert.equal((await submit(tx, 'approve')).status, 400, 'a transaction is single-use');
      } finally {
        as.setOptions({ approval: 'auto' });
      }
    });
  });
});

describe('protected MCP server', () => {
  let as: MockAuthServer;
  let mcp: ProtectedMcpServer;

  before(async () => {
    as = await startMockAuthServer();
    mcp = await startProtectedMcpServer({ authServer: as, requiredScopes: ['mcp:read'], toolScopes: { admin_action: ['admin'] } });
  });
  after(async () => {
    await mcp.close();
    await as.close();
  });

  async function initialize(token: string): Promise<Response> {
    return fetch(mcp.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '0' } } }),
    });
  }

  it('publishes RFC 9728 metadata and answers 401 with a challenge naming it', async () => {
    const prmUrl = `${new URL(mcp.url).origin}/.well-known/oauth-protected-resource/mcp`;
    assert.equal(mcp.prmUrl, prmUrl);
    const prm = (await (await fetch(prmUrl)).json()) as Record<string, unknown>;
    assert.equal(prm.resource, mcp.url);
    assert.deepEqual(prm.authorization_servers, [as.issuer]);
    assert.deepEqual(prm.scopes_supported, ['mcp:read', 'admin']);

    const missing = await fetch(mcp.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(missing.status, 401);
    const challenge = missing.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer /);
    assert.match(challenge, /realm="mcp"/);
    assert.match(challenge, new RegExp(`resource_metadata="${prmUrl}"`));
    assert.match(challenge, /scope="mcp:read"/);
    assert.doesNotMatch(challenge, /error=/, 'no error code when no token was sent (RFC 6750 §3.1)');

    const invalid = await initialize('not-a-token');
    assert.equal(invalid.status, 401);
    assert.match(invalid.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });

  it('rejects tokens for another audience, expired tokens and revoked tokens', async () => {
    const other = await as.mintAccessToken({ scope: 'mcp:read', resource: 'https://elsewhere.example/mcp' });
    assert.equal((await initialize(other.token)).status, 401);
    const noAud = await as.mintAccessToken({ scope: 'mcp:read' });
    assert.equal((await initialize(noAud.token)).status, 401);
    const short = await as.mintAccessToken({ scope: 'mcp:read', resource: mcp.url, ttlSeconds: 30 });
    assert.equal((await initialize(short.token)).status, 200);
    as.clock.advance(31);
    assert.equal((await initialize(short.token)).status, 401);
    const revoked = await as.mintAccessToken({ scope: 'mcp:read', resource: mcp.url });
    as.revoke(revoked.token);
    assert.match((await initialize(revoked.token)).headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });

  it('answers HTTP 403 insufficient_scope to a tools/call that needs more scope', async () => {
    const { token } = await as.mintAccessToken({ scope: 'mcp:read', resource: mcp.url });
    const init = await initialize(token);
    assert.equal(init.status, 200);
    const sessionId = init.headers.get('mcp-session-id') ?? '';
    assert.ok(sessionId);
    await init.body?.cancel();
    const call = await fetch(mcp.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'admin_action', arguments: {} } }),
    });
    assert.equal(call.status, 403);
    const challenge = call.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /error="insufficient_scope"/);
    assert.match(challenge, /scope="mcp:read admin"/);
    assert.match(challenge, /resource_metadata="[^"]+\/\.well-known\/oauth-protected-resource\/mcp"/);
    const record = mcp.inspect().at(-1);
    assert.equal(record?.toolName, 'admin_action');
    assert.equal(record?.rejection, 'insufficient_scope');
    assert.equal(record?.status, 403);
  });

  it('serves tools to the real SDK client with a valid token, and records claims but never the token', async () => {
    const body = await (async () => {
      const pair = pkcePair();
      as.registerClient({ clientId: 'sdk-app', redirectUris: [REDIRECT] });
      const loc = await authorize(as, { response_type: 'code', client_id: 'sdk-app', redirect_uri: REDIRECT, scope: 'mcp:read admin', code_challenge: pair.challenge, code_challenge_method: 'S256', resource: mcp.url });
      return (await postForm(as.endpoints.token, { grant_type: 'authorization_code', code: loc.searchParams.get('code') ?? '', redirect_uri: REDIRECT, code_verifier: pair.verifier, client_id: 'sdk-app', resource: mcp.url })).body;
    })();
    const token = body.access_token ?? '';
    const client = new Client({ name: 'mock-oauth-test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(mcp.url), { requestInit: { headers: { Authorization: `Bearer ${token}`, 'X-Trace': 't-1' } } });
    await client.connect(transport);
    try {
      const tools = await client.listTools();
      assert.deepEqual(tools.tools.map((t) => t.name).sort(), ['admin_action', 'echo', 'whoami']);
      const whoami = await client.callTool({ name: 'whoami', arguments: {} });
      const content = whoami.content as { type: string; text: string }[];
      const me = JSON.parse(content[0]?.text ?? '{}') as { sub: string; aud: string; scope: string; client_id: string; headers: string[] };
      assert.equal(me.sub, 'alice');
      assert.equal(me.aud, mcp.url);
      assert.equal(me.scope, 'mcp:read admin');
      assert.equal(me.client_id, 'sdk-app');
      assert.ok(me.headers.includes('x-trace'));
      assert.ok(me.headers.includes('mcp-session-id'));
      const admin = await client.callTool({ name: 'admin_action', arguments: {} });
      assert.equal(admin.isError, undefined);
      const echo = await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
      assert.deepEqual(echo.content, [{ type: 'text', text: 'hi' }]);
    } finally {
      await client.close();
    }
    const received = mcp.inspect();
    const call = received.find((r) => r.toolName === 'whoami');
    assert.equal(call?.token?.sub, 'alice');
    assert.equal(call?.token?.aud, mcp.url);
    assert.equal(call?.headers['x-trace'], 't-1');
    assert.equal(call?.headers.authorization, undefined);
    assert.equal(JSON.stringify(received).includes(token), false);
  });

  it("completes the SDK's own OAuth flow (PRM from the 401, metadata, DCR, PKCE, resource) against both mocks", async () => {
    let code: string | undefined;
    let clientInfo: OAuthClientInformationMixed | undefined;
    let tokens: OAuthTokens | undefined;
    let verifier = '';
    const provider: OAuthClientProvider = {
      redirectUrl: REDIRECT,
      clientMetadata: { client_name: 'sdk-flow', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] },
      clientInformation: () => clientInfo,
      saveClientInformation: (info) => {
        clientInfo = info;
      },
      tokens: () => tokens,
      saveTokens: (t) => {
        tokens = t;
      },
      saveCodeVerifier: (v) => {
        verifier = v;
      },
      codeVerifier: () => verifier,
      // Auto-approval: follow the authorization URL by hand and keep the code, as a browser would deliver it.
      redirectToAuthorization: async (url) => {
        const res = await fetch(url, { redirect: 'manual' });
        code = new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? undefined;
      },
    };
    const registrationsBefore = as.inspect().counts.registrations;
    const transport = new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider });
    const client = new Client({ name: 'sdk-flow', version: '1.0.0' });
    await assert.rejects(client.connect(transport), UnauthorizedError);
    assert.ok(code, 'the SDK sent the user to the authorization endpoint');
    await transport.finishAuth(code);
    const connected = new Client({ name: 'sdk-flow', version: '1.0.0' });
    await connected.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider }));
    try {
      const whoami = await connected.callTool({ name: 'whoami', arguments: {} });
      const me = JSON.parse((whoami.content as { text: string }[])[0]?.text ?? '{}') as { aud: string; scope: string };
      assert.equal(me.aud, mcp.url);
      assert.equal(me.scope, 'mcp:read', 'the SDK requested the scope named in the 401 challenge');
    } finally {
      await connected.close();
    }
    const snapshot = as.inspect();
    assert.equal(snapshot.counts.registrations - registrationsBefore, 1);
    assert.equal(snapshot.lastAuthorizationRequest?.params.resource, mcp.url);
    assert.equal(snapshot.lastTokenRequest?.params.resource, mcp.url);
    assert.equal(s256(snapshot.lastTokenRequest?.params.code_verifier ?? ''), snapshot.lastAuthorizationRequest?.params.code_challenge);
  });

  it('hides resource_metadata and moves the PRM per prmMode', async () => {
    const root = await startProtectedMcpServer({ authServer: { issuer: as.issuer, introspectionUrl: as.endpoints.introspection }, prmMode: 'root', path: '/deep/mcp' });
    try {
      const origin = new URL(root.url).origin;
      const res = await fetch(root.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(res.status, 401);
      assert.doesNotMatch(res.headers.get('www-authenticate') ?? '', /resource_metadata/);
      assert.equal((await fetch(`${origin}/.well-known/oauth-protected-resource/deep/mcp`)).status, 404);
      const prm = (await (await fetch(`${origin}/.well-known/oauth-protected-resource`)).json()) as Record<string, unknown>;
      assert.equal(prm.resource, root.url);
    } finally {
      await root.close();
    }
  });
});

describe('standalone entry points', () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) child.kill('SIGTERM');
  });

  function start(script: string, args: string[]): Promise<string> {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'silent' } });
    children.push(child);
    return new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
      createInterface({ input: child.stdout! }).once('line', resolve);
    });
  }

  it('starts the authorization server and a protected server that discovers its introspection endpoint', async () => {
    const issuer = await start('mock-servers/oauth/main.ts', ['--port', '0', '--issuer-path', '/t1']);
    assert.match(issuer, /^http:\/\/127\.0\.0\.1:\d+\/t1$/);
    const metadata = (await (await fetch(`${new URL(issuer).origin}/.well-known/oauth-authorization-server/t1`)).json()) as Record<string, unknown>;
    assert.equal(metadata.issuer, issuer);

    const mcpUrl = await start('mock-servers/protected/main.ts', ['--issuer', issuer, '--required-scopes', 'mcp:read']);
    const res = await fetch(mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /scope="mcp:read"/);
  });
});
