import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import {
  BlockedUrlError,
  DiscoveryError,
  FetchFailedError,
  FetchTimeoutError,
  InvalidMetadataError,
  IssuerMismatchError,
  MetadataNotFoundError,
  PkceNotSupportedError,
  ResourceMismatchError,
  ResponseTooLargeError,
  TooManyRedirectsError,
  UnexpectedStatusError,
} from '../src/auth/index.js';
import {
  classifyAddress,
  createGuardedFetch,
  discoverAuthorizationServer,
  discoverProtectedResource,
  fetchPolicyFor,
  parseWwwAuthenticate,
  type FetchPolicy,
} from '../src/auth/discovery/index.js';

// Every test server listens on 127.0.0.1. No test sends traffic anywhere else: blocked URLs are refused before a
// connection is attempted, and host names are resolved by an injected lookup that only ever answers loopback.

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface TestServer {
  base: string;
  port: number;
  /** `${method} ${path}` of every request received, in order. */
  hits: string[];
  /** Headers of every request received, in order. */
  headers: IncomingMessage['headers'][];
  routes: Map<string, Handler>;
  close(): Promise<void>;
}

async function startServer(): Promise<TestServer> {
  const routes = new Map<string, Handler>();
  const hits: string[] = [];
  const headers: IncomingMessage['headers'][] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    headers.push(req.headers);
    const handler = routes.get(req.url ?? '') ?? routes.get('*');
    if (handler) handler(req, res);
    else {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    hits,
    headers,
    routes,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function json(body: unknown, status = 200, contentType = 'application/json'): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': contentType });
    res.end(JSON.stringify(body));
  };
}

function redirect(location: string, status = 302): Handler {
  return (_req, res) => {
    res.writeHead(status, { location });
    res.end();
  };
}

/** A lookup that answers from a fixed table (loopback only) and records what it was asked. */
function fakeLookup(table: Record<string, string[]>, asked: string[] = []): LookupFunction {
  return (hostname, options, callback) => {
    asked.push(hostname);
    const addresses = table[hostname];
    if (!addresses) {
      callback(Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', undefined);
      return;
    }
    for (const a of addresses) {
      // Guard for the test itself: only loopback may ever be handed to a connection.
      if (!a.startsWith('127.') && a !== '::1') throw new Error('test lookup must only return loopback addresses');
    }
    const list: LookupAddress[] = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    if (options.all) callback(null, list);
    else callback(null, list[0]?.address ?? '', list[0]?.family);
  };
}

const PUBLIC_UPSTREAM = 'https://mcp.example.com/mcp';

function prm(resource: string, authorizationServers: unknown = ['https://as.example.com'], extra: Record<string, unknown> = {}) {
  return { resource, authorization_servers: authorizationServers, ...extra };
}

function asMetadata(issuer: string, extra: Record<string, unknown> = {}) {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    registration_endpoint: `${issuer}/register`,
    code_challenge_methods_supported: ['S256'],
    response_types_supported: ['code'],
    ...extra,
  };
}

describe('parseWwwAuthenticate', () => {
  it('returns undefined for absent or empty headers', () => {
    assert.equal(parseWwwAuthenticate(undefined), undefined);
    assert.equal(parseWwwAuthenticate(null), undefined);
    assert.equal(parseWwwAuthenticate(''), undefined);
  });

  it('reads quoted and token parameters of a Bearer challenge', () => {
    assert.deepEqual(
      parseWwwAuthenticate(
        'Bearer realm="mcp", error=insufficient_scope, scope="files:read files:write", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", error_description="need more"',
      ),
      {
        realm: 'mcp',
        error: 'insufficient_scope',
        scope: 'files:read files:write',
        resourceMetadata: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
        errorDescription: 'need more',
      },
    );
  });

  it('unescapes quoted-pairs and keeps commas and equals signs inside quoted strings', () => {
    assert.deepEqual(parseWwwAuthenticate('Bearer error_description="say \\"hi\\", a\\\\b = c", realm="x"'), {
      errorDescription: 'say "hi", a\\b = c',
      realm: 'x',
    });
  });

  it('matches scheme and parameter names case-insensitively and tolerates whitespace around "="', () => {
    assert.deepEqual(parseWwwAuthenticate('bEaReR   Realm = "r" ,SCOPE=  a'), { realm: 'r', scope: 'a' });
  });

  it('picks the Bearer challenge among several', () => {
    assert.deepEqual(parseWwwAuthenticate('Basic realm="basic, with comma", Bearer realm="b", scope="s", DPoP algs="ES256 PS256"'), {
      realm: 'b',
      scope: 's',
    });
    assert.deepEqual(parseWwwAuthenticate('Newauth realm="apps", type=1, title="Login to \\"apps\\"", Bearer scope="x"'), { scope: 'x' });
    assert.deepEqual(parseWwwAuthenticate('Negotiate abc==, Bearer'), {});
    assert.equal(parseWwwAuthenticate('Basic realm="a", Digest realm="b", nonce="n"'), undefined);
  });

  it('accepts a Bearer challenge without parameters or with a token68', () => {
    assert.deepEqual(parseWwwAuthenticate('Bearer'), {});
    assert.deepEqual(parseWwwAuthenticate('Bearer abc/def=='), {});
    assert.deepEqual(parseWwwAuthenticate('Bearer realm='), {}); // a token68, not a parameter without a value
  });

  it('returns undefined for junk and malformed Bearer challenges', () => {
    for (const header of [
      ',,,',
      '"Bearer"',
      '=Bearer realm="x"',
      'Bearer realm="unterminated',
      'Bearer realm="a" trailing junk',
      'Bearer realm="a", realm="b"', // RFC 6750 section 3: no repeated attributes
      'Bearer foo bar',
      'Bearer"x"',
      'Bearer realm="bad\u0001control"',
      'Bearer realm=@@@',
      '\u0000\u0001',
    ]) {
      assert.equal(parseWwwAuthenticate(header), undefined, header);
    }
  });

  it('skips junk and malformed challenges to find a valid Bearer challenge', () => {
    assert.deepEqual(parseWwwAuthenticate('@@@, Bearer realm="ok"'), { realm: 'ok' });
    assert.deepEqual(parseWwwAuthenticate('Bearer scope="a" scope="b", Bearer realm="second"'), { realm: 'second' });
  });

  it('handles a large hostile header quickly', () => {
    const started = performance.now();
    assert.equal(parseWwwAuthenticate(`Bearer realm="${'\\"'.repeat(50_000)}`), undefined);
    assert.equal(parseWwwAuthenticate(', '.repeat(50_000)), undefined);
    assert.deepEqual(parseWwwAuthenticate(`${'x=y, '.repeat(20_000)}Bearer realm="r"`), { realm: 'r' });
    assert.ok(performance.now() - started < 1_000);
  });
});

describe('address classification', () => {
  it('classifies IPv4 special ranges', () => {
    const cases: Record<string, string> = {
      '127.0.0.1': 'loopback',
      '127.255.255.254': 'loopback',
      '10.0.0.1': 'private',
      '172.16.0.1': 'private',
      '172.31.255.255': 'private',
      '172.32.0.1': 'public',
      '192.168.1.1': 'private',
      '169.254.169.254': 'link-local',
      '100.64.0.1': 'cgnat',
      '100.127.255.255': 'cgnat',
      '100.128.0.1': 'public',
      '0.0.0.0': 'unspecified',
      '0.1.2.3': 'non-unicast',
      '224.0.0.1': 'non-unicast',
      '255.255.255.255': 'non-unicast',
      '8.8.8.8': 'public',
      '192.0.2.10': 'non-unicast',
      '240.0.0.1': 'non-unicast',
      '192.175.48.1': 'public',
      '93.184.216.34': 'public',
    };
    for (const [address, expected] of Object.entries(cases)) assert.equal(classifyAddress(address), expected, address);
  });

  it('classifies IPv6 special ranges and embedded IPv4', () => {
    const cases: Record<string, string> = {
      '::1': 'loopback',
      '0:0:0:0:0:0:0:1': 'loopback',
      '::': 'unspecified',
      'fc00::1': 'private',
      'fd12:3456::1': 'private',
      'fe80::1': 'link-local',
      'fe80::1%eth0': 'link-local',
      'febf::1': 'link-local',
      '::ffff:127.0.0.1': 'loopback',
      '::ffff:7f00:1': 'loopback',
      '::ffff:169.254.169.254': 'link-local',
      '::ffff:a00:1': 'private',
      '::ffff:8.8.8.8': 'public',
      '64:ff9b::a9fe:a9fe': 'link-local',
      '2002:7f00:1::': 'loopback',
      'ff02::1': 'non-unicast',
      '2606:4700::1111': 'public',
      '::7f00:1': 'loopback',
      '::ffff:0:a9fe:a9fe': 'link-local',
      '64:ff9b:1::1': 'private',
      '64:ff9b::808:808': 'public',
      '2001:db8::1': 'non-unicast',
      '2001:0:4136:e378:8000:63bf:3fff:fdd2': 'public',
      '[::1]': 'loopback',
    };
    for (const [address, expected] of Object.entries(cases)) assert.equal(classifyAddress(address), expected, address);
  });

  it('returns undefined for non-addresses', () => {
    for (const text of ['localhost', 'example.com', '1.2.3', '1.2.3.4.5', '256.1.1.1', ':::', '1::2::3', '']) {
      assert.equal(classifyAddress(text), undefined, text);
    }
  });
});

describe('fetchPolicyFor', () => {
  it('allows private networks only for upstreams on loopback, private or link-local addresses, or localhost', () => {
    assert.equal(fetchPolicyFor(PUBLIC_UPSTREAM, {}).privateNetworkAllowed, false);
    assert.equal(fetchPolicyFor('https://8.8.8.8/mcp', {}).privateNetworkAllowed, false);
    for (const url of ['http://127.0.0.1:3000/mcp', 'http://localhost/mcp', 'http://[::1]/', 'https://10.1.2.3/mcp', 'https://[::ffff:192.168.0.1]/']) {
      assert.equal(fetchPolicyFor(url, {}).privateNetworkAllowed, true, url);
    }
  });

  it('normalizes allowPrivateHosts and rejects a non-http upstream', () => {
    assert.deepEqual(fetchPolicyFor(PUBLIC_UPSTREAM, { allowPrivateHosts: ['AS.Internal.', '::1', '[0:0::1]'] }).allowPrivateHosts, ['as.internal', '::1', '::1']);
    assert.throws(() => fetchPolicyFor('file:///etc/passwd', {}), BlockedUrlError);
    assert.throws(() => fetchPolicyFor('not a url', {}), BlockedUrlError);
  });

  it('is frozen', () => {
    const policy = fetchPolicyFor(PUBLIC_UPSTREAM, {});
    assert.ok(Object.isFrozen(policy));
    assert.equal(policy.timeoutMs, 5_000);
    assert.equal(policy.maxBytes, 256 * 1024);
  });
});

describe('guarded fetch', () => {
  let server: TestServer;
  let other: TestServer;
  before(async () => {
    server = await startServer();
    other = await startServer();
  });
  after(async () => {
    await server.close();
    await other.close();
  });

  const publicPolicy = (extra: Parameters<typeof fetchPolicyFor>[1] = {}) => fetchPolicyFor(PUBLIC_UPSTREAM, extra);

  it('fetches from loopback when the upstream is loopback', async () => {
    server.routes.set('/ok', json({ ok: true }));
    const guarded = createGuardedFetch(fetchPolicyFor(`${server.base}/mcp`, {}));
    const response = await guarded(`${server.base}/ok`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ok: true });
  });

  it('refuses non-http schemes', async () => {
    const guarded = createGuardedFetch(fetchPolicyFor(`${server.base}/mcp`, {}));
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', `ftp://127.0.0.1:${server.port}/`, 'data:application/json,{}', 'gopher://127.0.0.1/']) {
      await assert.rejects(guarded(url), (e: unknown) => e instanceof BlockedUrlError && e.reason === 'scheme', url);
    }
  });

  it('accepts a Request as input', async () => {
    server.routes.set('/echo', (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => json({ method: req.method, body })(req, res));
    });
    const guarded = createGuardedFetch(fetchPolicyFor(`${server.base}/mcp`, {}));
    const response = await guarded(new Request(`${server.base}/echo`, { method: 'POST', body: 'a=1' }));
    assert.deepEqual(await response.json(), { method: 'POST', body: 'a=1' });
  });

  it('refuses URLs with credentials', async () => {
    const guarded = createGuardedFetch(fetchPolicyFor(`${server.base}/mcp`, {}));
    await assert.rejects(guarded(`http://user:pw@127.0.0.1:${server.port}/ok`), (e: unknown) => e instanceof BlockedUrlError && e.reason === 'credentials' && !e.message.includes('pw'));
  });

  it('blocks loopback, private, link-local, CGNAT and unspecified literals for a public upstream, before connecting', async () => {
    const asked: string[] = [];
    const guarded = createGuardedFetch(publicPolicy({ lookup: fakeLookup({}, asked) }));
    const before = server.hits.length;
    for (const url of [
      `http://127.0.0.1:${server.port}/ok`,
      'https://127.0.0.1/',
      'https://169.254.169.254/latest/meta-data/',
      'https://10.0.0.1/',
      'https://172.20.1.1/',
      'https://192.168.0.1/',
      'https://100.64.0.1/',
      'https://0.0.0.0/',
      'https://[::]/',
      'https://[::1]/',
      'https://[fe80::1]/',
      'https://[fd00::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://[::ffff:169.254.169.254]/',
      'https://2130706433/', // 127.0.0.1 in decimal; the URL parser normalizes it
      'https://0x7f.1/',
      'https://0251.0376.0251.0376/', // 169.254.169.254 in octal
      'https://0xa9fea9fe/',
      'https://2852039166/',
      'https://localhost/',
      'https://LOCALHOST./',
    ]) {
      await assert.rejects(guarded(url), (e: unknown) => e instanceof BlockedUrlError && e.reason === 'private-address', url);
    }
    assert.equal(server.hits.length, before);
    assert.deepEqual(asked, [], 'no name was resolved');
  });

  it('allows a private literal that is in allowPrivateHosts', async () => {
    server.routes.set('/ok', json({ ok: true }));
    const guarded = createGuardedFetch(publicPolicy({ allowPrivateHosts: ['127.0.0.1'] }));
    const response = await guarded(`${server.base}/ok`);
    assert.deepEqual(await response.json(), { ok: true });
  });

  it('checks the addresses a host name resolves to inside the connection (no rebinding window)', async () => {
    server.routes.set('/ok', json({ ok: true }));
    const before = server.hits.length;
    const asked: string[] = [];
    const lookup = fakeLookup({ 'rebind.test': ['127.0.0.1'], 'dual.test': ['127.0.0.1', '::1'] }, asked);
    const guarded = createGuardedFetch(publicPolicy({ allowHttp: true, lookup }));
    await assert.rejects(guarded(`http://rebind.test:${server.port}/ok`), (e: unknown) => e instanceof BlockedUrlError && e.reason === 'private-address' && /127\.0\.0\.1/.test(e.message));
    await assert.rejects(guarded(`https://dual.test:${server.port}/ok`), BlockedUrlError);
    assert.deepEqual(asked, ['rebind.test', 'dual.test']);
    assert.equal(server.hits.length, before, 'no request reached the server');
  });

  it('lets an allowlisted host name resolve to loopback', async () => {
    server.routes.set('/ok', json({ ok: true }));
    const lookup = fakeLookup({ 'as.internal': ['127.0.0.1'] });
    const guarded = createGuardedFetch(publicPolicy({ allowHttp: true, allowPrivateHosts: ['as.internal'], lookup }));
    const response = await guarded(`http://as.internal:${server.port}/ok`);
    assert.deepEqual(await response.json(), { ok: true });
    assert.equal(server.headers.at(-1)?.host, `as.internal:${server.port}`);
  });

  it('refuses plain http to a non-loopback host unless allowHttp', async () => {
    const asked: string[] = [];
    const guarded = createGuardedFetch(publicPolicy({ lookup: fakeLookup({}, asked) }));
    await assert.rejects(guarded('http://as.example.com/token'), (e: unknown) => e instanceof BlockedUrlError && e.reason === 'insecure-http');
    const loopbackUpstream = createGuardedFetch(fetchPolicyFor(`${server.base}/mcp`, { lookup: fakeLookup({}, asked) }));
    await assert.rejects(loopbackUpstream('http://10.0.0.1/token'), (e: unknown) => e instanceof BlockedUrlError && e.reason === 'insecure-http');
    assert.deepEqual(asked, []);
  });

  it('follows redirects, re-checking each hop', async () => {
    server.routes.set('/r1', redirect('/r2', 301));
    server.routes.set('/r2', redirect(`${server.base}/ok`, 307));
    server.routes.set('/ok', json({ ok: true }));
    const guarded = createGuardedFetch(publicPolicy({ allowPrivateHosts: ['127.0.0.1'] }));
    const response = await guarded(`${server.base}/r1`);
    assert.equal(response.status, 200);
    assert.equal(response.redirected, true);
    assert.equal(response.url, `${server.base}/ok`);
    assert.deepEqual(await response.json(), { ok: true });
  });

  it('refuses a redirect to a blocked address or scheme', async () => {
    server.routes.set('/to-metadata', redirect('http://169.254.169.254/latest/meta-data/iam'));
    server.routes.set('/to-file', redirect('file:///etc/passwd'));
    server.routes.set('/to-rebind', redirect(`http://rebind.test:${server.port}/ok`));
    server.routes.set('/to-http', redirect('http://as.example.com/'));
    const guarded = createGuardedFetch(publicPolicy({ allowPrivateHosts: ['127.0.0.1'], lookup: fakeLookup({ 'rebind.test': ['127.0.0.1'] }) }));
    await assert.rejects(guarded(`${server.base}/to-metadata`), (e: unknown) => e instanceof BlockedUrlError && e.reason === 'private-address');
    await assert.rejects(guarded(`${server.base}/to-file`), (e: unknown) => e instanceof BlockedUrlError && e.reason === 'scheme');
    await assert.rejects(guarded(`${server.base}/to-http`), (e: unknown) => e instanceof BlockedUrlError && e.reason === 'insecure-http');
    const withHttp = createGuardedFetch(publicPolicy({ allowHttp: true, allowPrivateHosts: ['127.0.0.1'], lookup: fakeLookup({ 'rebind.test': ['127.0.0.1'] }) }));
    await assert.rejects(withHttp(`${server.base}/to-rebind`), (e: unknown) => e instanceof BlockedUrlError && e.reason === 'private-address');
  });

  it('stops after three redirects', async () => {
    server.routes.set('/loop', redirect('/loop'));
    const before = server.hits.length;
    const guarded = createGuardedFetch(fetchPolicyFor(`${server.base}/mcp`, {}));
    await assert.rejects(guarded(`${server.base}/loop`), TooManyRedirectsError);
    assert.equal(server.hits.length - before, 4, 'the first request and three redirects');
  });

  it('returns the redirect itself when the caller asks for redirect: manual', async () => {
    server.routes.set('/manual', redirect('http://169.254.169.254/'));
    const guarded = createGuardedFetch(fetchPolicyFor(`${server.base}/mcp`, {}));
    const response = await guarded(`${server.base}/manual`, { redirect: 'manual' });
    assert.equal(response.status, 302);
    assert.equal(response.headers.get('location'), 'http://169.254.169.254/');
  });

  it('turns a POST into a GET on 303 and drops credentials on a cross-origin redirect', async () => {
    server.routes.set('/post', redirect(`${other.base}/landing`, 303));
    other.routes.set('/landing', json({ landed: true }));
    const guarded = createGuardedFetch(fetchPolicyFor(`${server.base}/mcp`, {}));
    const response = await guarded(`${server.base}/post`, {
      method: 'POST',
      body: 'grant_type=x',
      headers: { authorization: 'Basic c2VjcmV0', 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.deepEqual(await response.json(), { landed: true });
    assert.equal(other.hits.at(-1), 'GET /landing');
    assert.equal(other.headers.at(-1)?.authorization, undefined);
    assert.equal(other.headers.at(-1)?.['content-type'], undefined);
  });

  it('aborts a body larger than maxBytes while streaming', async () => {
    server.routes.set('/chunked', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 64 && res.write(chunk)) sent++;
        if (sent < 64) res.once('drain', pump);
        else res.end();
      };
      pump();
    });
    server.routes.set('/declared', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024) });
      res.write('{');
    });
    const guarded = createGuardedFetch(fetchPolicyFor(`${server.base}/mcp`, { maxBytes: 100 * 1024 }));
    const response = await guarded(`${server.base}/chunked`);
    await assert.rejects(response.text(), ResponseTooLargeError);
    await assert.rejects(guarded(`${server.base}/declared`), ResponseTooLargeError);
  });

  it('times out on a server that never answers, or stops sending the body', async () => {
    server.routes.set('/hang', () => undefined);
    server.routes.set('/stall', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"a":');
    });
    const guarded = createGuardedFetch(fetchPolicyFor(`${server.base}/mcp`, { timeoutMs: 200 }));
    const started = performance.now();
    await assert.rejects(guarded(`${server.base}/hang`), (e: unknown) => e instanceof FetchTimeoutError && e.timeoutMs === 200);
    const response = await guarded(`${server.base}/stall`);
    await assert.rejects(response.text(), FetchTimeoutError);
    assert.ok(performance.now() - started < 2_000);
  });

  it("surfaces the caller's own abort reason", async () => {
    server.routes.set('/hang', () => undefined);
    const guarded = createGuardedFetch(fetchPolicyFor(`${server.base}/mcp`, {}));
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    setTimeout(() => controller.abort(reason), 50);
    await assert.rejects(guarded(`${server.base}/hang`, { signal: controller.signal }), (e: unknown) => e === reason);
  });

  it('reports a refused connection as FetchFailedError', async () => {
    const closed = await startServer();
    await closed.close();
    const guarded = createGuardedFetch(fetchPolicyFor(`${server.base}/mcp`, {}));
    await assert.rejects(guarded(`${closed.base}/`), (e: unknown) => e instanceof FetchFailedError && e.code === 'ECONNREFUSED');
  });

  it('never puts query strings or credentials of a URL in error messages', async () => {
    const guarded = createGuardedFetch(publicPolicy({}));
    await assert.rejects(guarded('https://169.254.169.254/x?access_token=SECRET#frag'), (e: unknown) => {
      assert.ok(e instanceof BlockedUrlError);
      assert.doesNotMatch(e.message, /SECRET|frag/);
      assert.equal(e.url, 'https://169.254.169.254/x');
      return true;
    });
  });

  it("works as openid-client's customFetch, and blocks through it", async () => {
    const issuer = `${server.base}/oidc`;
    server.routes.set('/.well-known/openid-configuration/oidc', json(asMetadata(issuer)));
    server.routes.set('/oidc/.well-known/openid-configuration', json(asMetadata(issuer)));
    // openid-client types bodies as Uint8Array<ArrayBufferLike>, which TS 5.9's BodyInit does not accept; fetch does.
    const guarded = createGuardedFetch(fetchPolicyFor(`${server.base}/mcp`, {})) as oidc.CustomFetch;
    const config = await oidc.discovery(new URL(issuer), 'client', undefined, undefined, {
      [oidc.customFetch]: guarded,
      execute: [oidc.allowInsecureRequests],
    });
    assert.equal(config.serverMetadata().issuer, issuer);
    assert.equal(config.serverMetadata().supportsPKCE('S256'), true);
    const blocked = createGuardedFetch(publicPolicy({})) as oidc.CustomFetch;
    await assert.rejects(
      oidc.discovery(new URL(issuer), 'client', undefined, undefined, { [oidc.customFetch]: blocked, execute: [oidc.allowInsecureRequests] }),
      (e: unknown) => {
        let cur: unknown = e;
        while (cur instanceof Error && !(cur instanceof BlockedUrlError)) cur = cur.cause;
        return cur instanceof BlockedUrlError;
      },
    );
  });
});

describe('discoverProtectedResource', () => {
  let server: TestServer;
  let policy: FetchPolicy;
  before(async () => {
    server = await startServer();
    policy = fetchPolicyFor(`${server.base}/mcp`, {});
  });
  after(async () => server.close());
  const reset = () => {
    server.routes.clear();
    server.hits.length = 0;
    server.headers.length = 0;
  };

  it('uses resource_metadata from the challenge', async () => {
    reset();
    server.routes.set('/meta/prm.json', json(prm(`${server.base}/mcp`, [`${server.base}/as`], { scopes_supported: ['read', 'write'] })));
    const challenge = parseWwwAuthenticate(`Bearer resource_metadata="${server.base}/meta/prm.json", scope="read"`);
    const result = await discoverProtectedResource(`${server.base}/mcp`, challenge, policy);
    assert.ok(result);
    assert.equal(result.resource, `${server.base}/mcp`);
    assert.deepEqual(result.authorizationServers, [`${server.base}/as`]);
    assert.deepEqual(result.scopesSupported, ['read', 'write']);
    assert.equal(result.raw['resource'], `${server.base}/mcp`);
    assert.deepEqual(server.hits, ['GET /meta/prm.json']);
  });

  it('treats the challenge URL as authoritative: not found there is an error, not a fallback', async () => {
    reset();
    server.routes.set('/.well-known/oauth-protected-resource/mcp', json(prm(`${server.base}/mcp`)));
    const challenge = { resourceMetadata: `${server.base}/missing` };
    await assert.rejects(discoverProtectedResource(`${server.base}/mcp`, challenge, policy), MetadataNotFoundError);
    assert.deepEqual(server.hits, ['GET /missing']);
  });

  it('tries the path-aware well-known URL first', async () => {
    reset();
    server.routes.set('/.well-known/oauth-protected-resource/mcp', json(prm(`${server.base}/mcp`)));
    server.routes.set('/.well-known/oauth-protected-resource', json(prm(`${server.base}/other`)));
    const result = await discoverProtectedResource(`${server.base}/mcp`, undefined, policy);
    assert.equal(result?.resource, `${server.base}/mcp`);
    assert.deepEqual(server.hits, ['GET /.well-known/oauth-protected-resource/mcp']);
    assert.equal(server.headers[0]?.['mcp-protocol-version'], '2025-11-25');
    assert.equal(server.headers[0]?.accept, 'application/json');
  });

  it('falls back to the root well-known URL', async () => {
    reset();
    server.routes.set('/.well-known/oauth-protected-resource', json(prm(`${server.base}/mcp`)));
    const result = await discoverProtectedResource(`${server.base}/mcp`, { realm: 'x' }, policy);
    assert.equal(result?.resource, `${server.base}/mcp`);
    assert.deepEqual(server.hits, ['GET /.well-known/oauth-protected-resource/mcp', 'GET /.well-known/oauth-protected-resource']);
  });

  it('tries only the root URL for a server at the root, and strips a trailing slash for the path-aware URL', async () => {
    reset();
    assert.equal(await discoverProtectedResource(`${server.base}/`, undefined, policy), undefined);
    assert.deepEqual(server.hits, ['GET /.well-known/oauth-protected-resource']);
    reset();
    server.routes.set('/.well-known/oauth-protected-resource/a/mcp', json(prm(`${server.base}/a/mcp/`)));
    const result = await discoverProtectedResource(`${server.base}/a/mcp/`, undefined, policy);
    assert.equal(result?.resource, `${server.base}/a/mcp/`);
  });

  it('returns undefined when no metadata is published', async () => {
    reset();
    server.routes.set('/.well-known/oauth-protected-resource', json({ error: 'nope' }, 401));
    assert.equal(await discoverProtectedResource(`${server.base}/mcp`, undefined, policy), undefined);
    assert.equal(server.hits.length, 2);
  });

  it('rejects metadata for another resource (RFC 9728 section 3.3)', async () => {
    reset();
    for (const resource of [`${server.base}/mcp/other`, `http://127.0.0.2:${server.port}/mcp`, `${server.base}/MCP`, 'https://mcp.example.com/mcp', `${server.base}/mcp/`]) {
      server.routes.set('/.well-known/oauth-protected-resource/mcp', json(prm(resource)));
      await assert.rejects(discoverProtectedResource(`${server.base}/mcp`, undefined, policy), (e: unknown) => e instanceof ResourceMismatchError, resource);
    }
  });

  it('compares resources canonically and accepts the server URL without its trailing slash', async () => {
    reset();
    const upper = `HTTP://127.0.0.1:${server.port}/mcp`;
    server.routes.set('/.well-known/oauth-protected-resource/mcp', json(prm(upper)));
    assert.equal((await discoverProtectedResource(`${server.base}/mcp`, undefined, policy))?.resource, upper);
    server.routes.set('/.well-known/oauth-protected-resource/mcp', json(prm(`${server.base}/mcp`)));
    assert.ok(await discoverProtectedResource(`${server.base}/mcp/`, undefined, policy));
    assert.ok(await discoverProtectedResource(`${server.base}/mcp#frag`, undefined, policy));
  });

  it('requires a non-empty authorization_servers array of acceptable URLs', async () => {
    reset();
    const cases: [unknown, new (...args: never[]) => Error][] = [
      [undefined, InvalidMetadataError],
      [[], InvalidMetadataError],
      ['https://as.example.com', InvalidMetadataError],
      [[42], InvalidMetadataError],
      [['not a url'], InvalidMetadataError],
      [['https://as.example.com?x=1'], InvalidMetadataError],
      [['file:///etc/passwd'], BlockedUrlError],
      [['javascript:alert(1)'], BlockedUrlError],
    ];
    for (const [servers, type] of cases) {
      server.routes.set('/.well-known/oauth-protected-resource/mcp', json({ resource: `${server.base}/mcp`, authorization_servers: servers }));
      await assert.rejects(discoverProtectedResource(`${server.base}/mcp`, undefined, policy), type, JSON.stringify(servers));
    }
  });

  it('refuses authorization servers at private addresses for a public upstream', async () => {
    reset();
    const publicPolicy = fetchPolicyFor(PUBLIC_UPSTREAM, { allowPrivateHosts: ['127.0.0.1'], lookup: fakeLookup({}) });
    server.routes.set('/prm', json(prm(PUBLIC_UPSTREAM, ['https://169.254.169.254/'])));
    await assert.rejects(
      discoverProtectedResource(PUBLIC_UPSTREAM, { resourceMetadata: `${server.base}/prm` }, publicPolicy),
      (e: unknown) => e instanceof BlockedUrlError && e.reason === 'private-address' && e.message.includes('authorization_servers'),
    );
    server.routes.set('/prm', json(prm(PUBLIC_UPSTREAM, ['https://as.example.com/t1'])));
    const ok = await discoverProtectedResource(PUBLIC_UPSTREAM, { resourceMetadata: `${server.base}/prm` }, publicPolicy);
    assert.deepEqual(ok?.authorizationServers, ['https://as.example.com/t1']);
  });

  it('rejects non-JSON, non-object and oversized documents, and server errors', async () => {
    reset();
    const path = '/.well-known/oauth-protected-resource/mcp';
    server.routes.set(path, json(prm(`${server.base}/mcp`), 200, 'text/html'));
    await assert.rejects(discoverProtectedResource(`${server.base}/mcp`, undefined, policy), InvalidMetadataError);
    server.routes.set(path, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end('{"resource": ');
    });
    await assert.rejects(discoverProtectedResource(`${server.base}/mcp`, undefined, policy), InvalidMetadataError);
    server.routes.set(path, json([prm(`${server.base}/mcp`)], 200, 'application/problem+json'));
    await assert.rejects(discoverProtectedResource(`${server.base}/mcp`, undefined, policy), InvalidMetadataError);
    server.routes.set(path, json(prm(`${server.base}/mcp`, [`${server.base}/as`], { padding: 'x'.repeat(300 * 1024) })));
    await assert.rejects(discoverProtectedResource(`${server.base}/mcp`, undefined, policy), ResponseTooLargeError);
    server.routes.set(path, json({}, 503));
    await assert.rejects(discoverProtectedResource(`${server.base}/mcp`, undefined, policy), (e: unknown) => e instanceof UnexpectedStatusError && e.status === 503);
  });

  it('times out on a hanging metadata server', async () => {
    reset();
    server.routes.set('/.well-known/oauth-protected-resource/mcp', () => undefined);
    const quick = fetchPolicyFor(`${server.base}/mcp`, { timeoutMs: 150 });
    await assert.rejects(discoverProtectedResource(`${server.base}/mcp`, undefined, quick), FetchTimeoutError);
  });

  it('refuses challenge URLs with a blocked scheme or, for a public upstream, a private address', async () => {
    reset();
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'ftp://mcp.example.com/prm']) {
      await assert.rejects(discoverProtectedResource(`${server.base}/mcp`, { resourceMetadata: url }, policy), (e: unknown) => e instanceof BlockedUrlError && e.reason === 'scheme', url);
    }
    const publicPolicy = fetchPolicyFor(PUBLIC_UPSTREAM, { lookup: fakeLookup({}) });
    for (const url of [`${server.base}/prm`, 'https://169.254.169.254/latest/meta-data', 'https://10.0.0.1/prm', 'https://[::1]/prm']) {
      await assert.rejects(discoverProtectedResource(PUBLIC_UPSTREAM, { resourceMetadata: url }, publicPolicy), (e: unknown) => e instanceof BlockedUrlError && e.reason === 'private-address', url);
    }
    await assert.rejects(discoverProtectedResource(PUBLIC_UPSTREAM, { resourceMetadata: 'not a url' }, publicPolicy), BlockedUrlError);
    assert.deepEqual(server.hits, []);
  });
});

describe('discoverAuthorizationServer', () => {
  let server: TestServer;
  let policy: FetchPolicy;
  before(async () => {
    server = await startServer();
    policy = fetchPolicyFor(`${server.base}/mcp`, {});
  });
  after(async () => server.close());
  const reset = () => {
    server.routes.clear();
    server.hits.length = 0;
  };

  const pathCandidates = ['/.well-known/oauth-authorization-server/t1', '/.well-known/openid-configuration/t1', '/t1/.well-known/openid-configuration'];

  for (const [index, served] of pathCandidates.entries()) {
    it(`finds metadata for an issuer with a path at candidate ${index + 1} (${served})`, async () => {
      reset();
      const issuer = `${server.base}/t1`;
      server.routes.set(served, json(asMetadata(issuer, { client_id_metadata_document_supported: true, authorization_response_iss_parameter_supported: true })));
      const metadata = await discoverAuthorizationServer(issuer, policy);
      assert.equal(metadata.issuer, issuer);
      assert.equal(metadata.authorizationEndpoint, `${issuer}/authorize`);
      assert.equal(metadata.tokenEndpoint, `${issuer}/token`);
      assert.equal(metadata.registrationEndpoint, `${issuer}/register`);
      assert.deepEqual(metadata.codeChallengeMethodsSupported, ['S256']);
      assert.equal(metadata.clientIdMetadataDocumentSupported, true);
      assert.equal(metadata.authorizationResponseIssParameterSupported, true);
      assert.deepEqual(server.hits, pathCandidates.slice(0, index + 1).map((p) => `GET ${p}`));
    });
  }

  it('strips a trailing slash of the issuer path when building candidates', async () => {
    reset();
    const issuer = `${server.base}/t1/`;
    server.routes.set('/t1/.well-known/openid-configuration', json(asMetadata(issuer)));
    assert.equal((await discoverAuthorizationServer(issuer, policy)).issuer, issuer);
    assert.deepEqual(server.hits, pathCandidates.map((p) => `GET ${p}`));
  });

  for (const [index, served] of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'].entries()) {
    it(`finds metadata for an issuer without a path at candidate ${index + 1} (${served})`, async () => {
      reset();
      const issuer = server.base;
      server.routes.set(served, json(asMetadata(issuer, { scopes_supported: ['a'], token_endpoint_auth_methods_supported: ['none'], revocation_endpoint: `${issuer}/revoke` })));
      const metadata = await discoverAuthorizationServer(issuer, policy);
      assert.equal(metadata.issuer, issuer);
      assert.deepEqual(metadata.scopesSupported, ['a']);
      assert.deepEqual(metadata.tokenEndpointAuthMethodsSupported, ['none']);
      assert.equal(metadata.revocationEndpoint, `${issuer}/revoke`);
      assert.equal(metadata.clientIdMetadataDocumentSupported, false);
      assert.equal(metadata.authorizationResponseIssParameterSupported, false);
      assert.equal(server.hits.length, index + 1);
    });
  }

  it('does not fall through to the next candidate when a document is invalid', async () => {
    reset();
    server.routes.set('/.well-known/oauth-authorization-server', json({ issuer: server.base }));
    server.routes.set('/.well-known/openid-configuration', json(asMetadata(server.base)));
    await assert.rejects(discoverAuthorizationServer(server.base, policy), InvalidMetadataError);
    assert.equal(server.hits.length, 1);
  });

  it('reports every candidate tried when none answers', async () => {
    reset();
    await assert.rejects(discoverAuthorizationServer(`${server.base}/t1`, policy), (e: unknown) => {
      assert.ok(e instanceof MetadataNotFoundError);
      assert.deepEqual(e.tried, pathCandidates.map((p) => `${server.base}${p}`));
      return true;
    });
  });

  it('rejects an issuer that differs from the one asked for (RFC 8414 section 3.3)', async () => {
    reset();
    for (const documentIssuer of ['https://evil.example.com', `${server.base}/`, `${server.base}/t2`, `HTTP://127.0.0.1:${server.port}`]) {
      server.routes.set('/.well-known/oauth-authorization-server', json(asMetadata(server.base, { issuer: documentIssuer })));
      await assert.rejects(discoverAuthorizationServer(server.base, policy), IssuerMismatchError, documentIssuer);
    }
  });

  it('refuses a server that does not advertise PKCE S256', async () => {
    reset();
    for (const methods of [undefined, [], ['plain'], ['s256']]) {
      server.routes.set('/.well-known/oauth-authorization-server', json(asMetadata(server.base, { code_challenge_methods_supported: methods })));
      await assert.rejects(discoverAuthorizationServer(server.base, policy), PkceNotSupportedError, JSON.stringify(methods));
    }
    server.routes.set('/.well-known/oauth-authorization-server', json(asMetadata(server.base, { code_challenge_methods_supported: 'S256' })));
    await assert.rejects(discoverAuthorizationServer(server.base, policy), InvalidMetadataError);
  });

  it('requires authorization_endpoint and token_endpoint, and typed optional fields', async () => {
    reset();
    for (const broken of [
      { authorization_endpoint: undefined },
      { token_endpoint: undefined },
      { token_endpoint: 42 },
      { token_endpoint: 'not a url' },
      { token_endpoint: `${server.base}/token#frag` },
      { scopes_supported: 'a b' },
      { client_id_metadata_document_supported: 'true' },
      { registration_endpoint: null },
    ]) {
      server.routes.set('/.well-known/oauth-authorization-server', json(asMetadata(server.base, broken)));
      await assert.rejects(discoverAuthorizationServer(server.base, policy), InvalidMetadataError, JSON.stringify(broken));
    }
  });

  it('checks every endpoint against the policy at discovery time', async () => {
    reset();
    // A public upstream whose authorization server is (explicitly allowlisted) on 127.0.0.1 but whose endpoints point
    // at other private addresses or unfetchable schemes.
    const publicPolicy = fetchPolicyFor(PUBLIC_UPSTREAM, { allowPrivateHosts: ['127.0.0.1'], lookup: fakeLookup({}) });
    server.routes.set('/.well-known/oauth-authorization-server', json(asMetadata(server.base)));
    assert.equal((await discoverAuthorizationServer(server.base, publicPolicy)).issuer, server.base);
    for (const [field, value, reason] of [
      ['token_endpoint', 'https://169.254.169.254/token', 'private-address'],
      ['registration_endpoint', 'https://10.0.0.1/register', 'private-address'],
      ['authorization_endpoint', 'javascript:alert(1)', 'scheme'],
      ['revocation_endpoint', 'https://[::1]/revoke', 'private-address'],
      ['jwks_uri', 'https://localhost/jwks', 'private-address'],
      ['userinfo_endpoint', 'http://as.example.com/userinfo', 'insecure-http'],
      ['authorization_endpoint', 'https://user:pw@as.example.com/authorize', 'credentials'],
    ] as const) {
      server.routes.set('/.well-known/oauth-authorization-server', json(asMetadata(server.base, { [field]: value })));
      await assert.rejects(
        discoverAuthorizationServer(server.base, publicPolicy),
        (e: unknown) => e instanceof BlockedUrlError && e.reason === reason && e.message.includes(field),
        `${field}=${value}`,
      );
    }
    server.routes.set('/.well-known/oauth-authorization-server', json(asMetadata(server.base, { mtls_endpoint_aliases: { token_endpoint: 'https://192.168.1.1/token' } })));
    await assert.rejects(discoverAuthorizationServer(server.base, publicPolicy), BlockedUrlError);
  });

  it('allows private endpoints when the upstream itself is on loopback', async () => {
    reset();
    server.routes.set('/.well-known/oauth-authorization-server', json(asMetadata(server.base, { token_endpoint: 'https://10.0.0.1/token', registration_endpoint: 'https://169.254.1.1/r' })));
    const metadata = await discoverAuthorizationServer(server.base, policy);
    assert.equal(metadata.tokenEndpoint, 'https://10.0.0.1/token');
  });

  it('refuses issuers at blocked addresses or schemes, and issuers with a query', async () => {
    reset();
    const publicPolicy = fetchPolicyFor(PUBLIC_UPSTREAM, { lookup: fakeLookup({}) });
    await assert.rejects(discoverAuthorizationServer(server.base, publicPolicy), (e: unknown) => e instanceof BlockedUrlError && e.reason === 'private-address');
    await assert.rejects(discoverAuthorizationServer('https://169.254.169.254', publicPolicy), BlockedUrlError);
    await assert.rejects(discoverAuthorizationServer('http://10.0.0.1/t1', publicPolicy), BlockedUrlError);
    await assert.rejects(discoverAuthorizationServer('file:///etc', policy), BlockedUrlError);
    await assert.rejects(discoverAuthorizationServer(`${server.base}?tenant=1`, policy), InvalidMetadataError);
    assert.deepEqual(server.hits, []);
  });

  it('keeps candidates on the issuer host when the issuer path starts with "//"', async () => {
    reset();
    await assert.rejects(discoverAuthorizationServer(`${server.base}//evil.example/t1`, policy), MetadataNotFoundError);
    assert.deepEqual(server.hits, [
      'GET /.well-known/oauth-authorization-server//evil.example/t1',
      'GET /.well-known/openid-configuration//evil.example/t1',
      'GET //evil.example/t1/.well-known/openid-configuration',
    ]);
  });

  it('follows a redirect to the metadata and still checks the issuer', async () => {
    reset();
    server.routes.set('/.well-known/oauth-authorization-server', redirect('/static/as.json'));
    server.routes.set('/static/as.json', json(asMetadata(server.base)));
    assert.equal((await discoverAuthorizationServer(server.base, policy)).issuer, server.base);
  });

  it('rejects oversized metadata and times out on a hanging server', async () => {
    reset();
    server.routes.set('/.well-known/oauth-authorization-server', json(asMetadata(server.base, { padding: 'x'.repeat(300 * 1024) })));
    await assert.rejects(discoverAuthorizationServer(server.base, policy), ResponseTooLargeError);
    server.routes.set('/.well-known/oauth-authorization-server', () => undefined);
    await assert.rejects(discoverAuthorizationServer(server.base, fetchPolicyFor(`${server.base}/mcp`, { timeoutMs: 150 })), FetchTimeoutError);
  });

  it('names errors as DiscoveryError subclasses with a sanitized url', async () => {
    reset();
    server.routes.set('/.well-known/oauth-authorization-server', json(asMetadata(server.base, { issuer: 'https://evil.example.com/?secret=1' })));
    await assert.rejects(discoverAuthorizationServer(server.base, policy), (e: unknown) => {
      assert.ok(e instanceof DiscoveryError);
      assert.equal(e.name, 'IssuerMismatchError');
      assert.doesNotMatch(e.message, /secret/);
      return true;
    });
  });
});
