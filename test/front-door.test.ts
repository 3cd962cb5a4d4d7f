import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { parseConfig } from '../src/config/index.js';
import { callerOf, FrontDoor } from '../src/front-door/index.js';
import { createLogger } from '../src/log/index.js';
import { principalKey } from '../src/principal/index.js';
import { startMockAuthServer, type MockAuthServer } from '../mock-servers/oauth/index.js';

const PUBLIC_URL = 'http://127.0.0.1:9';
const AUDIENCE = `${PUBLIC_URL}/mcp`;
const PRM_URL = `${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp`;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** A real HTTP server with only the front door in front of a route that names the caller. */
class Gatekeeper {
  readonly logLines: string[] = [];
  readonly frontDoor: FrontDoor;
  private server: Server | undefined;
  private url = '';

  constructor(inboundAuth: Record<string, unknown>, options: { jwksCooldownMs?: number } = {}) {
    const config = parseConfig({ mcpServers: {}, inboundAuth }, 'test');
    const logger = createLogger({ level: 'debug', pretty: false, destination: { write: (line: string) => void this.logLines.push(line) } });
    this.frontDoor = new FrontDoor({ config: { ...config, inboundAuth: config.inboundAuth! }, publicUrl: () => PUBLIC_URL, logger, ...options });
  }

  async start(): Promise<void> {
    const app = express();
    app.use(this.frontDoor.routes());
    app.use('/mcp', this.frontDoor.gate(), (_req, res) => {
      const caller = callerOf(res)!;
      res.json({ principal: principalKey(caller.principal), scopes: caller.token.scopes, teams: caller.token.teams });
    });
    this.server = createServer(app);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** `headers` as a flat list, so a header can appear twice. */
  send(path: string, headers: string[] = []): Promise<Answer> {
    return new Promise((resolve, reject) => {
      // With headers as a flat list Node adds no Host header of its own.
      const req = httpRequest(`${this.url}${path}`, { method: 'POST', headers: ['host', new URL(this.url).host, ...headers] }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown> }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  withToken(token: string): Promise<Answer> {
    return this.send('/mcp', ['authorization', `Bearer ${token}`]);
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function assertInvalidToken(answer: Answer, description: RegExp): void {
  assert.equal(answer.status, 401, JSON.stringify(answer.body));
  const challenge = String(answer.headers['www-authenticate']);
  assert.match(challenge, /^Bearer realm="switchboard", error="invalid_token", error_description="(?:[^"\\]|\\.)+", resource_metadata="/);
  assert.ok(challenge.endsWith(`resource_metadata="${PRM_URL}"`), challenge);
  assert.equal(answer.body.error, 'invalid_token');
  assert.match(String(answer.body.error_description), description);
}

describe('the front door', () => {
  let idp: MockAuthServer;
  let gate: Gatekeeper;
  const tokensSeen: string[] = [];
  const mint = async (input: Parameters<MockAuthServer['mintAccessToken']>[0] = {}) => {
    const { token } = await idp.mintAccessToken({ resource: AUDIENCE, sub: 'alice', ...input });
    tokensSeen.push(token);
    return token;
  };

  before(async () => {
    idp = await startMockAuthServer();
    gate = new Gatekeeper({ issuer: idp.issuer, teamsClaim: 'groups' });
    await gate.start();
  });

  after(async () => {
    await gate.close();
    await idp.close();
    // Not one token reached a log line, whatever happened to it.
    for (const token of tokensSeen) assert.ok(!gate.logLines.some((line) => line.includes(token)), 'a token was logged');
  });

  it('answers a request without a token with the RFC 6750 challenge naming its metadata', async () => {
    const answer = await gate.send('/mcp');
    assert.equal(answer.status, 401);
    assert.equal(answer.headers['www-authenticate'], `Bearer realm="switchboard", resource_metadata="${PRM_URL}"`);
  });

  it('serves RFC 9728 protected resource metadata naming the issuer and the bearer methods', async () => {
    const answer = await new Promise<Answer>((resolve, reject) => {
      const req = httpRequest(`${(gate as unknown as { url: string }).url}/.well-known/oauth-protected-resource/mcp`, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) as Record<string, unknown> }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { resource: AUDIENCE, authorization_servers: [idp.issuer], bearer_methods_supported: ['header'], resource_name: 'switchboard' });
    assert.equal(answer.headers['access-control-allow-origin'], '*');
  });

  it('lets a valid JWT in as the user named by issuer and subject, with its teams', async () => {
    const answer = await gate.withToken(await mint({ scope: 'mcp read', claims: { groups: ['core', 'ops'] } }));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.principal, `user:${encodeURIComponent(idp.issuer)}:alice`);
    assert.deepEqual(answer.body.scopes, ['mcp', 'read']);
    assert.deepEqual(answer.body.teams, ['core', 'ops']);
  });

  it('refuses a malformed JWT', async () => {
    assertInvalidToken(await gate.withToken('aaaa.bbbb.cccc'), /not a well-formed JWT/);
    assertInvalidToken(await gate.withToken('not-a-jwt-at-all'), /not a JWT/);
    assertInvalidToken(await gate.send('/mcp', ['authorization', 'Basic YWxpY2U6c2VjcmV0']), /Bearer/);
  });

  it('refuses alg "none"', async () => {
    const unsecured = new UnsecuredJWT({ iss: idp.issuer, aud: AUDIENCE, sub: 'alice' }).setExpirationTime('1h').encode();
    assertInvalidToken(await gate.withToken(unsecured), /algorithm/);
  });

  it('refuses HS256 signed with the public key (algorithm confusion)', async () => {
    const jwks = (await (await fetch(idp.endpoints.jwks)).json()) as { keys: { kid: string }[] };
    const publicKey = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
    const forged = await new SignJWT({ iss: idp.issuer, aud: AUDIENCE, sub: 'alice' }).setProtectedHeader({ alg: 'HS256', kid: jwks.keys[0]!.kid }).setExpirationTime('1h').sign(publicKey);
    assertInvalidToken(await gate.withToken(forged), /algorithm/);
  });

  it('refuses a token signed with a key the issuer never published (unknown kid)', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const foreign = await new SignJWT({ iss: idp.issuer, aud: AUDIENCE, sub: 'alice' }).setProtectedHeader({ alg: 'ES256', kid: 'someone-else' }).setExpirationTime('1h').sign(privateKey);
    assertInvalidToken(await gate.withToken(foreign), /signing key is not in the issuer's key set/);
  });

  it('refuses a token whose signature does not verify', async () => {
    const token = await mint();
    const [head, body] = token.split('.');
    const { privateKey } = await generateKeyPair('ES256');
    const other = await new SignJWT({ x: 1 }).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
    assertInvalidToken(await gate.withToken(`${head}.${body}.${other.split('.')[2]}`), /signature/);
  });

  it('refuses an expired token, and one not valid yet', async () => {
    idp.clock.advance(-7200);
    const expired = await mint();
    idp.clock.reset();
    assertInvalidToken(await gate.withToken(expired), /expired/);
    const later = Math.floor(Date.now() / 1000) + 600;
    assertInvalidToken(await gate.withToken(await mint({ claims: { nbf: later } })), /not valid yet/);
  });

  it('accepts a token a few seconds from the issuer\'s clock (small tolerance)', async () => {
    const nearly = Math.floor(Date.now() / 1000) + 10;
    assert.equal((await gate.withToken(await mint({ claims: { nbf: nearly } }))).status, 200);
  });

  it('refuses a token for another audience, from another issuer, or naming no user', async () => {
    assertInvalidToken(await gate.withToken(await mint({ resource: 'https://other.example/mcp' })), /another audience/);
    assertInvalidToken(await gate.withToken(await mint({ resource: [] })), /audience|"aud"/);
    assertInvalidToken(await gate.withToken(await mint({ claims: { iss: 'https://evil.example' } })), /another issuer/);
    assertInvalidToken(await gate.withToken(await mint({ claims: { sub: undefined } })), /no "sub" claim/);
    assertInvalidToken(await gate.withToken(await mint({ claims: { exp: undefined } })), /expir|"exp"/);
    const stranger = await startMockAuthServer();
    try {
      const { token } = await stranger.mintAccessToken({ resource: AUDIENCE, sub: 'alice' });
      tokensSeen.push(token);
      assertInvalidToken(await gate.withToken(token), /signing key|another issuer/);
    } finally {
      await stranger.close();
    }
  });

  it('refuses a 10 kB token without parsing it, and keeps serving', async () => {
    assertInvalidToken(await gate.withToken('a'.repeat(10_240)), /longer than 8192/);
    assert.equal((await gate.withToken(await mint())).status, 200);
  });

  it('refuses a token in the query string, even next to a valid header', async () => {
    const token = await mint();
    const answer = await gate.send(`/mcp?access_token=${token}`, ['authorization', `Bearer ${token}`]);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'invalid_request');
    assert.match(String(answer.body.error_description), /Authorization header only/);
  });

  it('refuses two Authorization headers', async () => {
    const token = await mint();
    const answer = await gate.send('/mcp', ['authorization', `Bearer ${token}`, 'authorization', `Bearer ${token}`]);
    assert.equal(answer.status, 400);
    assert.match(String(answer.body.error_description), /more than one Authorization header/);
  });

  it('fetches the key set once, and again when a token names a key it does not hold (rotation)', async () => {
    const rotating = new Gatekeeper({ issuer: idp.issuer }, { jwksCooldownMs: 0 });
    await rotating.start();
    try {
      const before = idp.inspect().counts.jwksFetches;
      assert.equal((await rotating.withToken(await mint())).status, 200);
      assert.equal((await rotating.withToken(await mint())).status, 200);
      assert.equal(idp.inspect().counts.jwksFetches - before, 1, 'the key set is cached');
      await idp.rotateSigningKey();
      assert.equal((await rotating.withToken(await mint())).status, 200, 'a token signed with the new key');
      assert.equal(idp.inspect().counts.jwksFetches - before, 2, 'the unknown kid fetched the key set again');
    } finally {
      await rotating.close();
    }
  });

  it('fails closed with 503 and a log line when the key set cannot be fetched', async () => {
    const cold = new Gatekeeper({ issuer: idp.issuer });
    await cold.start();
    try {
      idp.failNext('jwks', { status: 500, error: 'server_error' });
      const token = await mint();
      const answer = await cold.withToken(token);
      assert.equal(answer.status, 503, JSON.stringify(answer.body));
      assert.equal(answer.body.error, 'temporarily_unavailable');
      assert.match(String(answer.body.error_description), /key set .* could not be fetched/);
      assert.ok(cold.logLines.some((line) => line.includes('front door cannot check tokens') && line.includes('jwks')), 'a log line says why');
      assert.ok(!cold.logLines.some((line) => line.includes(token)));
      assert.equal((await cold.withToken(token)).status, 200, 'served again once the key set is back');
    } finally {
      await cold.close();
    }
  });

  it('answers a token without the required scope with 403 insufficient_scope naming it', async () => {
    const scoped = new Gatekeeper({ issuer: idp.issuer, requiredScopes: ['mcp'] });
    await scoped.start();
    try {
      const answer = await scoped.withToken(await mint({ scope: 'read' }));
      assert.equal(answer.status, 403);
      assert.match(String(answer.headers['www-authenticate']), /^Bearer realm="switchboard", error="insufficient_scope", error_description="[^"]+", scope="mcp", resource_metadata="/);
      assert.equal((await scoped.withToken(await mint({ scope: 'mcp read' }))).status, 200);
      assert.equal((await scoped.send('/mcp')).headers['www-authenticate'], `Bearer realm="switchboard", scope="mcp", resource_metadata="${PRM_URL}"`);
    } finally {
      await scoped.close();
    }
  });
});

describe('the front door with opaque tokens (RFC 7662 introspection)', () => {
  let idp: MockAuthServer;
  let gate: Gatekeeper;

  before(async () => {
    idp = await startMockAuthServer({ accessTokenFormat: 'opaque' });
    gate = new Gatekeeper({ issuer: idp.issuer, introspection: { clientId: 'switchboard', clientSecret: 'introspection-secret' } });
    await gate.start();
  });

  after(async () => {
    await gate.close();
    await idp.close();
  });

  it('lets an active token in as its user, and reuses the answer for a short while', async () => {
    const { token } = await idp.mintAccessToken({ resource: AUDIENCE, sub: 'bob' });
    const before = idp.inspect().counts.introspections;
    for (let i = 0; i < 3; i++) {
      const answer = await gate.withToken(token);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.principal, `user:${encodeURIComponent(idp.issuer)}:bob`);
    }
    assert.equal(idp.inspect().counts.introspections - before, 1);
    assert.ok(!gate.logLines.some((line) => line.includes(token)));
  });

  it('refuses an inactive token and one for another audience', async () => {
    const { token } = await idp.mintAccessToken({ resource: AUDIENCE, sub: 'bob' });
    idp.revoke(token);
    assertInvalidToken(await gate.withToken(token), /not active/);
    const { token: foreign } = await idp.mintAccessToken({ resource: 'https://other.example/mcp', sub: 'bob' });
    assertInvalidToken(await gate.withToken(foreign), /another audience/);
  });

  it('fails closed with 503 and a log line when introspection is down', async () => {
    const { token } = await idp.mintAccessToken({ resource: AUDIENCE, sub: 'carol' });
    idp.failNext('introspect', { status: 503, error: 'temporarily_unavailable' });
    const answer = await gate.withToken(token);
    assert.equal(answer.status, 503);
    assert.match(String(answer.body.error_description), /introspection endpoint .* answered HTTP 503/);
    assert.ok(gate.logLines.some((line) => line.includes('front door cannot check tokens') && line.includes('introspection')));
    assert.equal((await gate.withToken(token)).status, 200, 'an outage is not cached');
  });
});
