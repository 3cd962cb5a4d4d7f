import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { StaticServerCredentials } from '../src/auth/index.js';
import { ConfigError, parseConfig, staticAuth, type ServerConfig } from '../src/config/index.js';
import { serverFilter } from '../src/catalog/index.js';
import { createUpstreamFetch } from '../src/upstream/index.js';
import { startMockAuthServer, type MockAuthServer } from '../mock-servers/oauth/index.js';

const logger = pino({ level: 'silent' });

function server(auth: unknown, extra: Record<string, unknown> = {}, baseDir?: string): ServerConfig {
  return parseConfig({ mcpServers: { api: { url: 'http://127.0.0.1:1/mcp', auth, ...extra } } }, 'c.yaml', {}, { baseDir }).mcpServers.api!;
}

describe('static credentials in the configuration', () => {
  it('accepts bearer, basic, headers, query and client_credentials beside OAuth', () => {
    assert.deepEqual(staticAuth(server({ type: 'bearer', token: 't' })), { type: 'bearer', token: 't' });
    assert.equal(staticAuth(server({ type: 'basic', username: 'u', password: 'p' }))?.type, 'basic');
    assert.equal(staticAuth(server({ type: 'headers', headers: { 'X-Api-Key': 'k' } }))?.type, 'headers');
    assert.equal(staticAuth(server({ type: 'query', param: 'key', value: 'v' }))?.type, 'query');
    assert.equal(staticAuth(server({ type: 'client_credentials', clientId: 'c', clientSecret: 's', issuer: 'https://as.example' }))?.type, 'client_credentials');
    // `auth` without a type is OAuth sign-in, as before.
    assert.equal(staticAuth(server({ clientId: 'abc' })), undefined);
  });

  it('reads { file } secrets relative to the configuration file, without the trailing newline', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-secret-'));
    await writeFile(join(dir, 'token'), 'tok-from-file\n');
    assert.deepEqual(staticAuth(server({ type: 'bearer', token: { file: 'token' } }, {}, dir)), { type: 'bearer', token: 'tok-from-file' });
    assert.throws(() => server({ type: 'bearer', token: { file: 'missing' } }, {}, dir), /mcpServers\.api\.auth\.token: cannot read the secret file missing \(ENOENT\)/);
    await writeFile(join(dir, 'empty'), '\n');
    assert.throws(() => server({ type: 'bearer', token: { file: 'empty' } }, {}, dir), /the secret file empty is empty/);
  });

  it('takes no { file } secrets through the admin API', async () => {
    const { parseServerEntry } = await import('../src/config/index.js');
    assert.throws(() => parseServerEntry('api', { url: 'http://127.0.0.1:1/mcp', auth: { type: 'bearer', token: { file: '/etc/passwd' } } }, 'admin API'),
      /mcpServers\.api\.auth\.token: secret files \(\{ file: \/etc\/passwd \}\) come from the configuration file only/);
  });

  it('names the key and what was expected, never the secret', () => {
    assert.throws(() => server({ type: 'apikey', key: 'x' }), (error: Error) => error instanceof ConfigError && /mcpServers\.api\.auth\.type: expected oauth \(the default\), bearer/.test(error.message));
    assert.throws(() => server({ type: 'bearer', token: 't', extra: 1 }), /mcpServers\.api\.auth: unknown key "extra"/);
    assert.throws(() => server({ type: 'basic', username: 'a:b', password: 'p' }), /without ":"/);
    assert.throws(() => server({ type: 'client_credentials', clientId: 'c' }), /exactly one of clientSecret and privateKeyJwt/);
    assert.throws(() => server({ type: 'client_credentials', clientId: 'c', clientSecret: 's', tokenUrl: 'https://as/t', issuer: 'https://as' }), /tokenUrl or issuer, not both/);
    assert.throws(() => server({ type: 'client_credentials', clientId: 'c', privateKeyJwt: { jwk: '{"kty":"EC"}' } }), (error: Error) => /not a usable private key/.test(error.message));
  });

  it('checks a private_key_jwt key at load and derives its algorithm', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-key-'));
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(join(dir, 'ec.pem'), ec.privateKey.export({ type: 'sec1', format: 'pem' }));
    const auth = staticAuth(server({ type: 'client_credentials', clientId: 'c', privateKeyJwt: { keyFile: 'ec.pem' } }, {}, dir));
    assert.ok(auth?.type === 'client_credentials' && auth.privateKeyJwt);
    assert.equal(auth.privateKeyJwt.alg, 'ES256');
    assert.match(auth.privateKeyJwt.pem, /^-----BEGIN PRIVATE KEY-----/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...rsa.privateKey.export({ format: 'jwk' }), kid: 'k1' };
    const fromJwk = staticAuth(server({ type: 'client_credentials', clientId: 'c', privateKeyJwt: { jwk, alg: 'PS256' } }));
    assert.ok(fromJwk?.type === 'client_credentials');
    assert.deepEqual([fromJwk.privateKeyJwt?.alg, fromJwk.privateKeyJwt?.kid], ['PS256', 'k1']);
    assert.throws(() => server({ type: 'client_credentials', clientId: 'c', privateKeyJwt: { keyFile: 'ec.pem', alg: 'RS256' } }, {}, dir), /alg: a EC prime256v1 key cannot sign with RS256 \(use ES256\)/);
    // What a parse gives is a valid entry again (the admin API stores parsed entries and checks them on update).
    assert.deepEqual(staticAuth(server(auth)), auth);
  });
});

interface Seen { url: string; headers: IncomingHttpHeaders }

/** A plain HTTP server that records requests; `/redirect-*` paths redirect. */
async function recorder(): Promise<{ url: string; seen: Seen[]; server: Server; redirectTo: { url?: string } }> {
  const seen: Seen[] = [];
  const redirectTo: { url?: string } = {};
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    if (req.url?.startsWith('/redirect') && redirectTo.url) {
      res.writeHead(307, { location: redirectTo.url }).end();
      return;
    }
    if (req.url?.startsWith('/forbidden')) {
      res.writeHead(403).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, seen, server, redirectTo };
}

describe('the upstream fetch with static credentials', () => {
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));

  it('puts a query key and secret headers on requests to the server\'s own origin only, also across redirects', async () => {
    const own = await recorder();
    const other = await recorder();
    servers.push(own.server, other.server);
    const credentials = new StaticServerCredentials(parseConfig({ mcpServers: { api: { url: `${own.url}/mcp`, auth: { type: 'query', param: 'key', value: 'qk-1' } } } }, 'c'), logger).for('api');
    const upstream = createUpstreamFetch({ origin: own.url, endpoint: new URL(`${own.url}/mcp`), staticHeaders: { 'X-Secret': 'hs-1' }, credentials });
    await upstream.fetch(`${own.url}/mcp`, { method: 'POST', body: '{}' });
    assert.equal(own.seen.at(-1)?.url, '/mcp?key=qk-1');
    assert.equal(own.seen.at(-1)?.headers['x-secret'], 'hs-1');

    // Same origin: followed with the credentials. Another origin: followed without them.
    own.redirectTo.url = '/mcp2';
    await upstream.fetch(`${own.url}/redirect`, { method: 'POST', body: '{}' });
    assert.deepEqual(own.seen.slice(-2).map((s) => [s.url, s.headers['x-secret']]), [['/redirect?key=qk-1', 'hs-1'], ['/mcp2?key=qk-1', 'hs-1']]);
    own.redirectTo.url = `${other.url}/elsewhere`;
    await upstream.fetch(`${own.url}/redirect`, { method: 'POST', body: '{}' });
    assert.deepEqual(other.seen.map((s) => [s.url, s.headers['x-secret']]), [['/elsewhere', undefined]]);

    await upstream.fetch(`${other.url}/direct`);
    assert.deepEqual(other.seen.at(-1), { url: '/direct', headers: other.seen.at(-1)!.headers });
    assert.equal(other.seen.at(-1)!.headers['x-secret'], undefined);
  });

  it('reports any 403 to static credentials as a refusal (not only insufficient_scope)', async () => {
    const own = await recorder();
    servers.push(own.server);
    const credentials = new StaticServerCredentials(parseConfig({ mcpServers: { api: { url: `${own.url}/mcp`, auth: { type: 'bearer', token: 't' } } } }, 'c'), logger).for('api');
    const challenges: number[] = [];
    const upstream = createUpstreamFetch({ origin: own.url, endpoint: new URL(`${own.url}/mcp`), staticHeaders: {}, credentials, onAuthChallenge: (c) => void challenges.push(c.status) });
    await upstream.fetch(`${own.url}/forbidden`, { method: 'POST', body: '{}' });
    assert.equal(own.seen.at(-1)?.headers.authorization, 'Bearer t');
    assert.deepEqual(challenges, [403]);
  });
});

describe('client_credentials', () => {
  let as: MockAuthServer | undefined;
  after(async () => as?.close());

  it('gets one token for the server\'s resource from a configured token URL, with client_secret_post, and keeps it', async () => {
    as = await startMockAuthServer({ preRegisteredClients: [{ clientId: 'svc', clientSecret: 'svc-secret', redirectUris: [] }] });
    const url = 'http://127.0.0.1:9/mcp';
    const config = parseConfig({
      mcpServers: { api: { url, auth: { type: 'client_credentials', clientId: 'svc', clientSecret: 'svc-secret', tokenUrl: as.endpoints.token, tokenEndpointAuthMethod: 'client_secret_post', scopes: ['read'] } } },
    }, 'c');
    const credentials = new StaticServerCredentials(config, logger).for('api')!;
    const first = await credentials.headers();
    assert.match(first?.authorization ?? '', /^Bearer /);
    assert.deepEqual(await credentials.headers(), first);
    const requests = as.inspect().tokenRequests;
    assert.equal(requests.length, 1);
    assert.deepEqual([requests[0]?.grantType, requests[0]?.clientAuthMethod, requests[0]?.resources, requests[0]?.params.scope], ['client_credentials', 'client_secret_post', [url], 'read']);
    // A refusal of that token gets a new one, once.
    assert.equal(await credentials.rejected({ status: 401, wwwAuthenticate: 'Bearer error="invalid_token"' }, first), true);
    assert.notDeepEqual(await credentials.headers(), first);
  });
});

describe('tool filters', () => {
  const filtered = (tools: Record<string, unknown>) => serverFilter(parseConfig({ mcpServers: { gh: { url: 'http://127.0.0.1:1/mcp', tools } } }, 'c').mcpServers.gh!)!;

  it('lets allowed tools through unless denied, and reshapes them by their own name', () => {
    const filter = filtered({ allow: ['issues_*', 'repo_*'], deny: ['repo_delete'], rename: { issues_list: 'list' }, describe: { issues_list: 'Lists' }, annotations: { issues_list: { readOnlyHint: true } } });
    assert.equal(filter.tool({ name: 'repo_delete', inputSchema: { type: 'object' } }), undefined);
    assert.equal(filter.tool({ name: 'echo', inputSchema: { type: 'object' } }), undefined);
    assert.deepEqual(filter.tool({ name: 'issues_list', inputSchema: { type: 'object' }, annotations: { openWorldHint: true } }), {
      name: 'list', description: 'Lists', inputSchema: { type: 'object' }, annotations: { openWorldHint: true, readOnlyHint: true },
    });
    assert.equal(filter.tool({ name: 'repo_view', inputSchema: { type: 'object' } })?.name, 'repo_view');
  });

  it('refuses two tools renamed to one name', () => {
    assert.throws(() => filtered({ rename: { a: 'x', b: 'x' } }), /two tools renamed to "x"/);
  });
});

describe('examples/static-credentials.yaml', () => {
  it('is a valid configuration', async () => {
    const { loadConfigFile } = await import('../src/config/index.js');
    const env = Object.fromEntries(['BILLING_TOKEN', 'LEDGER_PASSWORD', 'SEARCH_KEY', 'MAPS_KEY', 'REPORTS_CLIENT_SECRET', 'GITHUB_TOKEN'].map((name) => [name, `${name.toLowerCase()}-value`]));
    const config = await loadConfigFile(new URL('../examples/static-credentials.yaml', import.meta.url).pathname, env);
    assert.deepEqual(Object.values(config.mcpServers).map((s) => staticAuth(s)?.type), ['bearer', 'basic', 'headers', 'query', 'client_credentials', 'bearer']);
  });
});
