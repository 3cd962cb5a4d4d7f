import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import {
  createTokenStore,
  LockTimeoutError,
  StoreConfigError,
  StoreUnavailableError,
  type ClientRegistration,
  type Grant,
  type PendingSignIn,
  type TokenStore,
  type TokenStoreOptions,
} from '../src/store/index.js';
import { localUser, principalKey, sessionPrincipal, signedInUser, type Principal } from '../src/principal/index.js';
import { requestStateSealer, Sealer } from '../src/store/index.js';
import { startRedis, type RedisServer } from './support/redis.js';

const SECRET = 'test-secret-that-is-long-enough-0123456789';
const OTHER_SECRET = 'another-secret-that-is-long-enough-987654';
const ISSUER = 'https://as.example:8443/tenant:1';

/** A logger whose lines the test can read, to check what was (and was not) logged. */
function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: pino({ level: 'debug' }, { write: (line: string) => lines.push(line) }), lines };
}

function grant(issuer = ISSUER): Grant {
  return {
    issuer,
    clientId: 'switchboard-client',
    refreshToken: `rt-${randomUUID()}`,
    scope: 'read write',
    tokens: {
      'https://mcp.example/a': { value: `at-${randomUUID()}`, tokenType: 'Bearer', expiresAt: Date.now() + 60_000, scope: 'read', audienceRestricted: true },
      'https://mcp.example/b': { value: `at-${randomUUID()}`, tokenType: 'Bearer', audienceRestricted: false },
    },
    updatedAt: Date.now(),
  };
}

function pending(state = randomUUID()): PendingSignIn {
  return {
    state,
    principal: sessionPrincipal(randomUUID()),
    server: 'notes',
    issuer: ISSUER,
    resource: 'https://mcp.example/a',
    codeVerifier: `verifier-${randomUUID()}`,
    redirectUri: 'http://127.0.0.1:8080/oauth/callback',
    clientId: 'switchboard-client',
    scope: 'read',
    createdAt: Date.now(),
  };
}

function registration(issuer = `https://as-${randomUUID()}.example`): ClientRegistration {
  return {
    issuer,
    redirectUri: 'http://127.0.0.1:8080/oauth/callback',
    clientId: `client-${randomUUID()}`,
    clientSecret: `secret-${randomUUID()}`,
    method: 'dcr',
    registeredAt: Date.now(),
  };
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, 'timed out');
    await sleep(25);
  }
}

/** Counts how many fns run at once under withLock. */
function overlapProbe(holdMs: number) {
  let active = 0;
  let maxActive = 0;
  return {
    get maxActive() {
      return maxActive;
    },
    run: async <T>(value: T): Promise<T> => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      await sleep(holdMs);
      active -= 1;
      return value;
    },
  };
}

async function timed<T>(promise: Promise<T>): Promise<{ ms: number; outcome: PromiseSettledResult<T> }> {
  const started = Date.now();
  const [outcome] = await Promise.allSettled([promise]);
  return { ms: Date.now() - started, outcome: outcome! };
}

interface Backend {
  name: 'memory' | 'redis';
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  open(options?: Partial<TokenStoreOptions>): TokenStore;
}

const open: TokenStore[] = [];
function track(store: TokenStore): TokenStore {
  open.push(store);
  return store;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((store) => store.close()));
});

let redis: RedisServer | undefined;
const backends: Backend[] = [
  {
    name: 'memory',
    setUp: async () => {},
    tearDown: async () => {},
    open: (options) => track(createTokenStore({ url: 'memory:', logger: pino({ level: 'silent' }), ...options })),
  },
  {
    name: 'redis',
    setUp: async () => {
      redis = await startRedis();
    },
    tearDown: async () => {
      await redis?.stop();
    },
    open: (options) => track(createTokenStore({ url: redis!.url, secret: SECRET, logger: pino({ level: 'silent' }), ...options })),
  },
];

for (const backend of backends) {
  describe(`TokenStore contract: ${backend.name}`, () => {
    before(() => backend.setUp());
    after(() => backend.tearDown());

    it('reports its kind and answers ping', async () => {
      const store = backend.open();
      assert.equal(store.kind, backend.name);
      await store.ping();
    });

    it('keeps a grant per principal and issuer, and deletes one issuer only', async () => {
      const { logger, lines } = capturingLogger();
      const store = backend.open({ logger });
      const principal = sessionPrincipal(randomUUID());
      const first = grant();
      const second = grant('https://other-as.example');
      await store.putGrant(principal, first);
      await store.putGrant(principal, second);

      assert.deepEqual(await store.getGrant(principal, ISSUER), first);
      assert.deepEqual(await store.getGrant(principal, second.issuer), second);
      assert.equal(await store.getGrant(sessionPrincipal(randomUUID()), ISSUER), undefined);
      assert.equal(await store.getGrant(principal, 'https://unknown.example'), undefined);

      const rotated = { ...first, refreshToken: 'rt-rotated', updatedAt: first.updatedAt + 1 };
      await store.putGrant(principal, rotated);
      assert.deepEqual(await store.getGrant(principal, ISSUER), rotated);

      await store.deleteGrant(principal, ISSUER);
      assert.equal(await store.getGrant(principal, ISSUER), undefined);
      assert.deepEqual(await store.getGrant(principal, second.issuer), second);

      const logged = lines.join('\n');
      for (const secret of [first.refreshToken!, first.tokens['https://mcp.example/a']!.value]) assert.ok(!logged.includes(secret));
    });

    it('does not confuse principals and issuers that contain colons', async () => {
      const store = backend.open();
      await store.putGrant(sessionPrincipal('a:b'), grant('c'));
      assert.equal(await store.getGrant(sessionPrincipal('a'), 'b:c'), undefined);
      assert.equal((await store.getGrant(sessionPrincipal('a:b'), 'c'))?.issuer, 'c');
    });

    it('keeps the grants of principals of different kinds with equal parts apart', async () => {
      const store = backend.open();
      const id = randomUUID();
      const principals = [sessionPrincipal(id), localUser(id), signedInUser(id, id)];
      for (const [i, principal] of principals.entries()) await store.putGrant(principal, { ...grant(), clientId: `client-${i}` });
      for (const [i, principal] of principals.entries()) assert.equal((await store.getGrant(principal, ISSUER))?.clientId, `client-${i}`);
      await store.deletePrincipal(sessionPrincipal(id));
      assert.equal(await store.getGrant(sessionPrincipal(id), ISSUER), undefined);
      assert.equal((await store.getGrant(localUser(id), ISSUER))?.clientId, 'client-1', 'a session end leaves the local user\'s grants');
      assert.equal((await store.getGrant(signedInUser(id, id), ISSUER))?.clientId, 'client-2');
    });

    it('a pending sign-in keeps the principal that started it', async () => {
      const store = backend.open();
      const sign = { ...pending(), principal: signedInUser('https://front.example', 'alice') };
      await store.putPending(sign, 60_000);
      assert.deepEqual((await store.takePending(sign.state))?.principal, signedInUser('https://front.example', 'alice'));
    });

    it('deletePrincipal removes every grant of that principal and no other', async () => {
      const store = backend.open();
      const [gone, kept] = [sessionPrincipal(randomUUID()), sessionPrincipal(randomUUID())];
      await store.putGrant(gone, grant());
      await store.putGrant(gone, grant('https://other-as.example'));
      const keptGrant = grant();
      await store.putGrant(kept, keptGrant);

      await store.deletePrincipal(gone);

      assert.equal(await store.getGrant(gone, ISSUER), undefined);
      assert.equal(await store.getGrant(gone, 'https://other-as.example'), undefined);
      assert.deepEqual(await store.getGrant(kept, ISSUER), keptGrant);
    });

    it('finds every principal\'s grant at an issuer, of every kind, and none at another issuer', async () => {
      const store = backend.open();
      const issuer = `https://as-${randomUUID()}.example:8443/tenant:1`;
      const principals = [sessionPrincipal(`a:${randomUUID()}`), localUser(`user-${randomUUID()}`), signedInUser('https://front.example/t:1', `alice:${randomUUID()}`)];
      for (const principal of principals) await store.putGrant(principal, grant(issuer));
      const elsewhere = sessionPrincipal(randomUUID());
      await store.putGrant(elsewhere, grant(`https://other-${randomUUID()}.example`));
      await store.putGrant(principals[0]!, grant(`https://other-${randomUUID()}.example`));

      const found = await store.grantsAt(issuer);
      assert.deepEqual(found.map(({ principal }) => principalKey(principal)).sort(), principals.map(principalKey).sort());
      for (const { principal, grant: held } of found) assert.deepEqual(held, await store.getGrant(principal, issuer));

      await store.deleteGrant(principals[1]!, issuer);
      await store.deletePrincipal(principals[0] as ReturnType<typeof sessionPrincipal>);
      assert.deepEqual((await store.grantsAt(issuer)).map(({ principal }) => principalKey(principal)), [principalKey(principals[2]!)]);
      assert.deepEqual(await store.grantsAt(`https://nobody-${randomUUID()}.example`), []);
    });

    it('finds the grants at an issuer among more principals than one SCAN batch holds', async (t) => {
      const store = backend.open();
      const issuer = `https://as-${randomUUID()}.example`;
      const count = 1_200;
      const users = Array.from({ length: count }, (_, i) => signedInUser('https://front.example', `user-${i}-${randomUUID()}`));
      for (let i = 0; i < count; i += 100) await Promise.all(users.slice(i, i + 100).map((user, j) => store.putGrant(user, grant(i + j < count / 2 ? issuer : `${issuer}/other`))));
      const started = performance.now();
      const found = await store.grantsAt(issuer);
      // Printed for the README, not asserted: no timed assertions.
      t.diagnostic(`grantsAt(${backend.name}): ${found.length} of ${count} principals in ${(performance.now() - started).toFixed(1)} ms`);
      assert.equal(found.length, count / 2);
      assert.equal(new Set(found.map(({ principal }) => principalKey(principal))).size, count / 2);
    });

    it('keeps stored servers in the order they were first stored, and deletes one', async () => {
      const store = backend.open();
      const names = [`zeta-${randomUUID()}`, `alpha-${randomUUID()}`];
      const [first, second] = names.map((name, i) => ({ name, entry: { url: `https://${i}.example/mcp`, headers: { Authorization: `Bearer key-${i}` } }, createdAt: Date.now() + i, updatedAt: Date.now() + i }));
      await store.putServer(first!);
      await store.putServer(second!);
      const changed = { ...first!, entry: { url: 'https://changed.example/mcp' }, updatedAt: Date.now() + 10 };
      await store.putServer(changed);
      const mine = (await store.listServers()).filter(({ name }) => names.includes(name));
      assert.deepEqual(mine, [changed, second]);
      assert.deepEqual(await store.getServer(second!.name), second);
      await store.deleteServer(first!.name);
      assert.equal(await store.getServer(first!.name), undefined);
      assert.deepEqual((await store.listServers()).filter(({ name }) => names.includes(name)), [second]);
    });

    it('a pending sign-in can be taken once', async () => {
      const store = backend.open();
      const sign = pending();
      await store.putPending(sign, 60_000);
      assert.deepEqual(await store.takePending(sign.state), sign);
      assert.equal(await store.takePending(sign.state), undefined);
      assert.equal(await store.takePending(randomUUID()), undefined);
    });

    it('of many parallel takes of one state, exactly one gets it', async () => {
      const store = backend.open();
      const sign = pending();
      await store.putPending(sign, 60_000);
      const taken = await Promise.all(Array.from({ length: 20 }, () => store.takePending(sign.state)));
      assert.equal(taken.filter((value) => value !== undefined).length, 1);
    });

    it('an expired pending sign-in cannot be taken', async () => {
      const store = backend.open();
      const sign = pending();
      await store.putPending(sign, 100);
      await sleep(250);
      assert.equal(await store.takePending(sign.state), undefined);
    });

    it('keeps a client registration per issuer and redirect URI', async () => {
      const store = backend.open();
      const reg = registration();
      await store.putRegistration(reg);
      assert.deepEqual(await store.getRegistration(reg.issuer, reg.redirectUri), reg);
      assert.equal(await store.getRegistration(reg.issuer, 'http://127.0.0.1:9999/other'), undefined);
      const replaced = { ...reg, clientId: 'client-2', method: 'cimd' as const, clientSecret: undefined };
      await store.putRegistration(replaced);
      assert.equal((await store.getRegistration(reg.issuer, reg.redirectUri))?.clientId, 'client-2');
    });

    it('withLock never overlaps holders of one key and returns what fn returns', async () => {
      const store = backend.open();
      const probe = overlapProbe(30);
      const key = `lock-${randomUUID()}`;
      const results = await Promise.all([1, 2, 3, 4, 5].map((n) => store.withLock(key, () => probe.run(n))));
      assert.deepEqual(results, [1, 2, 3, 4, 5]);
      assert.equal(probe.maxActive, 1);
    });

    it('withLock runs holders of different keys in parallel', async () => {
      const store = backend.open();
      const probe = overlapProbe(150);
      await Promise.all([store.withLock(`lock-${randomUUID()}`, () => probe.run(1)), store.withLock(`lock-${randomUUID()}`, () => probe.run(2))]);
      assert.equal(probe.maxActive, 2);
    });

    it('withLock releases the lock when fn throws', async () => {
      const store = backend.open();
      const key = `lock-${randomUUID()}`;
      await assert.rejects(store.withLock(key, async () => Promise.reject(new Error('refresh failed'))), /refresh failed/);
      const { ms, outcome } = await timed(store.withLock(key, async () => 'next'));
      assert.deepEqual(outcome, { status: 'fulfilled', value: 'next' });
      assert.ok(ms < 1_000, `second holder waited ${ms} ms`);
    });

    it('withLock gives up with LockTimeoutError when the lock stays taken past the wait', async () => {
      const store = backend.open({ lockWaitMs: 150 });
      const key = `lock-${randomUUID()}`;
      const holder = store.withLock(key, () => sleep(600));
      await sleep(20);
      const { ms, outcome } = await timed(store.withLock(key, async () => 'entered'));
      assert.equal(outcome.status, 'rejected');
      const reason = (outcome as PromiseRejectedResult).reason;
      assert.ok(reason instanceof LockTimeoutError && reason instanceof StoreUnavailableError);
      assert.ok(ms < 600, `gave up after ${ms} ms`);
      await holder;
      // The waiter that gave up must not have left the key locked.
      assert.equal(await store.withLock(key, async () => 'after'), 'after');
    });
  });
}

describe('TokenStore on Redis: encryption at rest and sharing', () => {
  let server: RedisServer;
  let raw: Redis;
  before(async () => {
    server = await startRedis();
    raw = new Redis(server.url);
  });
  after(async () => {
    await raw.quit();
    await server.stop();
  });
  const openRedis = (options: Partial<TokenStoreOptions> = {}) =>
    track(createTokenStore({ url: server.url, secret: SECRET, logger: pino({ level: 'silent' }), ...options }));
  const openMemory = () => track(createTokenStore({ url: 'memory:', logger: pino({ level: 'silent' }) }));
  const grantsKey = (principal: Principal) => `switchboard:v1:grants:${encodeURIComponent(principalKey(principal))}`;

  it('stores no plaintext token, verifier or client secret', async () => {
    const store = openRedis();
    const principal = sessionPrincipal(randomUUID());
    const g = grant();
    const sign = pending();
    const reg = registration();
    await store.putGrant(principal, g);
    await store.putPending(sign, 60_000);
    await store.putRegistration(reg);

    const sealedGrant = await raw.hget(grantsKey(principal), ISSUER);
    const sealedPending = await raw.get(`switchboard:v1:pending:${encodeURIComponent(sign.state)}`);
    const sealedReg = await raw.get(`switchboard:v1:registration:${encodeURIComponent(reg.issuer)}:${encodeURIComponent(reg.redirectUri)}`);
    assert.ok(sealedGrant && sealedPending && sealedReg, 'records are under the documented keys');
    for (const secret of [g.tokens['https://mcp.example/a']!.value, g.refreshToken!]) assert.ok(!sealedGrant.includes(secret));
    assert.ok(!sealedPending.includes(sign.codeVerifier));
    assert.ok(!sealedReg.includes(reg.clientSecret!));
    const ttl = await raw.pttl(`switchboard:v1:pending:${encodeURIComponent(sign.state)}`);
    assert.ok(ttl > 0 && ttl <= 60_000, `pending expires in Redis (pttl ${ttl})`);
  });

  it('grants of a session expire unless the live session renews them; other principals\' grants do not', async () => {
    const store = openRedis({ sessionGrantTtlMs: 600 });
    const renewed = sessionPrincipal(randomUUID());
    const abandoned = sessionPrincipal(randomUUID());
    const user = localUser('alice');
    for (const principal of [renewed, abandoned, user]) await store.putGrant(principal, grant());
    const ttl = await raw.pttl(grantsKey(abandoned));
    assert.ok(ttl > 0 && ttl <= 600, `a session's grants carry a TTL (pttl ${ttl})`);
    assert.equal(await raw.pttl(grantsKey(user)), -1, 'the local user\'s grants outlive every session');
    // Renewed every 200 ms, like a live session by its registry's sweep, for three times the TTL.
    for (let i = 0; i < 9; i++) {
      await sleep(200);
      await store.keepSessions([renewed]);
    }
    assert.ok(await store.getGrant(renewed, ISSUER), 'a renewed session keeps its grant past the TTL');
    assert.equal(await store.getGrant(abandoned, ISSUER), undefined, 'an abandoned session\'s grant expired');
    assert.equal(await raw.exists(grantsKey(abandoned)), 0);
    assert.ok(await store.getGrant(user, ISSUER));
    // A session that never signed in has nothing to renew, and renewing creates nothing.
    const never = sessionPrincipal(randomUUID());
    await store.keepSessions([never]);
    assert.equal(await raw.exists(grantsKey(never)), 0);
  });

  it('tells the other stores on the same Redis of a completed sign-in, sealed, and never itself; again after Redis restarts', async () => {
    const here = openRedis();
    const there = openRedis();
    const stranger = openRedis({ secret: OTHER_SECRET });
    const heard = { here: [] as unknown[], there: [] as unknown[], stranger: [] as unknown[] };
    here.onSignInElsewhere((notice) => heard.here.push(notice));
    there.onSignInElsewhere((notice) => heard.there.push(notice));
    stranger.onSignInElsewhere((notice) => heard.stranger.push(notice));
    const sniffer = raw.duplicate();
    // A failed assertion must not leave a connection retrying forever: the test file would never exit.
    try {
      const onTheWire: string[] = [];
      await sniffer.psubscribe('*');
      sniffer.on('pmessage', (_pattern: string, _channel: string, message: string) => onTheWire.push(message));
      const notice = { principal: sessionPrincipal(randomUUID()), server: 'notes', issuer: ISSUER, state: `state-${randomUUID()}` };
      // The subscriptions are made when the first listener comes; give them a moment to reach Redis.
      await waitFor(async () => (await raw.pubsub('NUMSUB', 'switchboard:v1:sign-ins'))[1] === 3);
      await here.announceSignIn(notice);
      // The sniffer has its own connection: the same publish may reach it a moment after the other store.
      await waitFor(() => heard.there.length === 1 && onTheWire.length > 0);
      assert.deepEqual(heard.there, [notice]);
      assert.deepEqual(heard.here, [], 'a store does not hear its own announcement');
      assert.deepEqual(heard.stranger, [], 'a store with another secret cannot open the notice');
      assert.ok(onTheWire.length > 0 && onTheWire.every((message) => !message.includes(notice.state) && !message.includes(notice.principal.sessionId)));

      await server.restart();
      await waitFor(async () => (await there.ping().then(() => true, () => false)) && (await raw.pubsub('NUMSUB', 'switchboard:v1:sign-ins').catch(() => [0, 0]))[1] === 3);
      await here.announceSignIn({ ...notice, state: 'after-restart' });
      await waitFor(() => heard.there.length === 2);
    } finally {
      sniffer.disconnect();
    }
  });

  it('a grant copied under another principal\'s key is left out of the grants at its issuer', async () => {
    const store = openRedis();
    const issuer = `https://as-${randomUUID()}.example`;
    const [owner, other] = [signedInUser('https://front.example', 'owner'), signedInUser('https://front.example', `other-${randomUUID()}`)];
    await store.putGrant(owner, grant(issuer));
    await raw.hset(grantsKey(other), issuer, (await raw.hget(grantsKey(owner), issuer))!);
    assert.deepEqual((await store.grantsAt(issuer)).map(({ principal }) => principalKey(principal)), [principalKey(owner)]);
  });

  it('keeps stored servers sealed: no secret of their entries is readable in Redis', async () => {
    const store = openRedis();
    const server = { name: `news-${randomUUID()}`, entry: { url: 'https://news.example/mcp', headers: { Authorization: 'Bearer news-api-key-in-clear' } }, createdAt: Date.now(), updatedAt: Date.now() };
    await store.putServer(server);
    const sealed = await raw.hget('switchboard:v1:servers', server.name);
    assert.ok(sealed, 'the server is under the documented key');
    assert.ok(!sealed.includes('news-api-key-in-clear') && !sealed.includes('news.example'));
    assert.deepEqual(await openRedis().getServer(server.name), server);
    assert.equal(await openRedis({ secret: OTHER_SECRET }).getServer(server.name), undefined, 'another secret cannot read it');
  });

  it('tells the other stores on the same Redis of a changed server, sealed, and never itself', async () => {
    const here = openRedis();
    const there = openRedis();
    const stranger = openRedis({ secret: OTHER_SECRET });
    const heard = { here: [] as unknown[], there: [] as unknown[], stranger: [] as unknown[] };
    here.onServerChangeElsewhere((notice) => heard.here.push(notice));
    there.onServerChangeElsewhere((notice) => heard.there.push(notice));
    stranger.onServerChangeElsewhere((notice) => heard.stranger.push(notice));
    await waitFor(async () => (await raw.pubsub('NUMSUB', 'switchboard:v1:server-changes'))[1] === 3);
    const name = `news-${randomUUID()}`;
    await here.announceServerChange({ name });
    await waitFor(() => heard.there.length === 1);
    assert.deepEqual(heard.there, [{ name }]);
    assert.deepEqual(heard.here, []);
    assert.deepEqual(heard.stranger, []);
  });

  it('shares the era verdicts of upstream servers between stores; legacy ones expire after the horizon', async () => {
    const here = openRedis();
    const there = openRedis();
    // A lookup never waits for a connection (a cache miss is cheaper): both are up first, as serveHttp makes sure.
    await Promise.all([here.ping(), there.ping()]);
    const legacyKey = `http://127.0.0.1:1/mcp#${randomUUID()}`;
    const modernKey = `http://127.0.0.1:2/mcp#${randomUUID()}`;
    const discover = { supportedVersions: ['2026-07-28'], capabilities: { tools: {} }, serverInfo: { name: 'mock', version: '1' } };
    await here.eraVerdicts!.set(legacyKey, { kind: 'legacy' });
    await here.eraVerdicts!.set(modernKey, { kind: 'modern', discover } as never);
    assert.deepEqual(await there.eraVerdicts!.get(legacyKey), { kind: 'legacy' });
    assert.deepEqual(await there.eraVerdicts!.get(modernKey), { kind: 'modern', discover });
    const legacyTtl = await raw.pttl(`switchboard:v1:era-verdict:${encodeURIComponent(legacyKey)}`);
    const modernTtl = await raw.pttl(`switchboard:v1:era-verdict:${encodeURIComponent(modernKey)}`);
    assert.ok(legacyTtl > 0 && legacyTtl <= 60 * 60_000, `legacy verdict pttl ${legacyTtl}`);
    assert.ok(modernTtl > 60 * 60_000 && modernTtl <= 24 * 60 * 60_000, `modern verdict pttl ${modernTtl}`);
    await there.eraVerdicts!.delete(modernKey);
    assert.equal(await here.eraVerdicts!.get(modernKey), undefined);
    // Whatever else sits under the key is a miss, not a verdict.
    await raw.set(`switchboard:v1:era-verdict:${encodeURIComponent(legacyKey)}`, '{"kind":"bogus"}');
    assert.equal(await here.eraVerdicts!.get(legacyKey), undefined);
    assert.equal(openMemory().eraVerdicts, undefined, 'the memory store leaves verdicts to the process cache');
  });

  it('another instance with the same secret reads the same records', async () => {
    const writer = openRedis();
    const reader = openRedis();
    const principal = sessionPrincipal(randomUUID());
    const g = grant();
    await writer.putGrant(principal, g);
    assert.deepEqual(await reader.getGrant(principal, ISSUER), g);
  });

  it('a grant copied under another principal does not decrypt, and the warning holds no secret', async () => {
    const { logger, lines } = capturingLogger();
    const store = openRedis({ logger });
    const [victim, thief] = [sessionPrincipal(randomUUID()), sessionPrincipal(randomUUID())];
    const g = grant();
    await store.putGrant(victim, g);
    await raw.hset(grantsKey(thief), ISSUER, (await raw.hget(grantsKey(victim), ISSUER))!);

    assert.equal(await store.getGrant(thief, ISSUER), undefined);
    assert.deepEqual(await store.getGrant(victim, ISSUER), g);
    const logged = lines.join('\n');
    assert.match(logged, /did not decrypt/);
    assert.ok(!logged.includes(g.tokens['https://mcp.example/a']!.value) && !logged.includes(g.refreshToken!) && !logged.includes(SECRET));
  });

  it('a pending sign-in copied under another state does not decrypt', async () => {
    const store = openRedis();
    const sign = pending();
    const stolenState = randomUUID();
    await store.putPending(sign, 60_000);
    await raw.set(`switchboard:v1:pending:${stolenState}`, (await raw.get(`switchboard:v1:pending:${sign.state}`))!);
    assert.equal(await store.takePending(stolenState), undefined);
  });

  it('a store with another secret cannot read the records', async () => {
    const { logger, lines } = capturingLogger();
    const store = openRedis();
    const stranger = openRedis({ secret: OTHER_SECRET, logger });
    const principal = sessionPrincipal(randomUUID());
    const reg = registration();
    await store.putGrant(principal, grant());
    await store.putRegistration(reg);
    assert.equal(await stranger.getGrant(principal, ISSUER), undefined);
    assert.equal(await stranger.getRegistration(reg.issuer, reg.redirectUri), undefined);
    assert.ok(!lines.join('\n').includes(OTHER_SECRET));
  });

  it('withLock serialises two store instances on the same Redis', async () => {
    const [a, b] = [openRedis(), openRedis()];
    const probe = overlapProbe(40);
    const key = `refresh|session-${randomUUID()}|${ISSUER}`;
    await Promise.all([1, 2, 3, 4].map((n) => (n % 2 === 0 ? a : b).withLock(key, () => probe.run(n))));
    assert.equal(probe.maxActive, 1);
  });

  it('a live holder keeps the lock past its lease', async () => {
    const [a, b] = [openRedis({ lockLeaseMs: 300 }), openRedis({ lockLeaseMs: 300, lockWaitMs: 3_000 })];
    const key = `lock-${randomUUID()}`;
    const order: string[] = [];
    const holder = a.withLock(key, async () => {
      await sleep(1_000);
      order.push('first done');
    });
    await sleep(30);
    await b.withLock(key, async () => void order.push('second entered'));
    await holder;
    assert.deepEqual(order, ['first done', 'second entered']);
  });
});

describe('TokenStore on Redis: outages', () => {
  let server: RedisServer;
  before(async () => {
    server = await startRedis();
  });
  after(() => server.stop());

  it('fails fast while Redis is down, never hangs, and recovers after Redis returns', async () => {
    const { logger, lines } = capturingLogger();
    const store = track(createTokenStore({ url: server.url, secret: SECRET, logger }));
    await store.ping();
    const principal = sessionPrincipal(randomUUID());

    await server.stop();
    const operations: (() => Promise<unknown>)[] = [
      () => store.ping(),
      () => store.getGrant(principal, ISSUER),
      () => store.putGrant(principal, grant()),
      () => store.takePending(randomUUID()),
      () => store.withLock(`lock-${randomUUID()}`, async () => 'entered'),
    ];
    for (const operation of operations) {
      const { ms, outcome } = await timed(operation());
      assert.equal(outcome.status, 'rejected');
      assert.ok((outcome as PromiseRejectedResult).reason instanceof StoreUnavailableError);
      assert.ok(ms < 3_000, `failed after ${ms} ms`);
    }

    await server.restart();
    const deadline = Date.now() + 10_000;
    while (!(await store.ping().then(() => true, () => false))) {
      assert.ok(Date.now() < deadline, 'store did not recover within 10 s');
      await sleep(100);
    }
    const g = grant();
    await store.putGrant(principal, g);
    assert.deepEqual(await store.getGrant(principal, ISSUER), g);
    const logged = lines.join('\n');
    assert.match(logged, /connection to Redis lost/);
    assert.match(logged, /connection to Redis recovered/);
  });

  it('era verdicts are a cache: while Redis is down a lookup is a quick miss and a write is dropped, never an error', async () => {
    const store = track(createTokenStore({ url: server.url, secret: SECRET, logger: pino({ level: 'silent' }) }));
    await store.ping();
    await server.stop();
    const lookup = await timed(store.eraVerdicts!.get('http://127.0.0.1:1/mcp#anonymous'));
    assert.deepEqual(lookup.outcome, { status: 'fulfilled', value: undefined });
    assert.ok(lookup.ms < 100, `the miss took ${lookup.ms} ms`);
    assert.equal((await timed(store.eraVerdicts!.set('http://127.0.0.1:1/mcp#anonymous', { kind: 'legacy' }))).outcome.status, 'fulfilled');
    await server.restart();
  });

  it('keeps data across a Redis restart that saves it', async () => {
    const store = track(createTokenStore({ url: server.url, secret: SECRET, logger: pino({ level: 'silent' }) }));
    const principal = sessionPrincipal(randomUUID());
    const g = grant();
    await store.putGrant(principal, g);
    await server.restart({ keepData: true });
    const reader = track(createTokenStore({ url: server.url, secret: SECRET, logger: pino({ level: 'silent' }) }));
    await reader.ping();
    assert.deepEqual(await reader.getGrant(principal, ISSUER), g);
  });

  it('a store whose Redis never answered rejects ping with StoreUnavailableError', async () => {
    const unused = await startRedis();
    await unused.stop();
    const store = track(createTokenStore({ url: unused.url, secret: SECRET, logger: pino({ level: 'silent' }) }));
    const { ms, outcome } = await timed(store.ping());
    assert.ok(outcome.status === 'rejected' && outcome.reason instanceof StoreUnavailableError);
    assert.ok(ms < 3_000, `failed after ${ms} ms`);
  });
});

describe('createTokenStore configuration', () => {
  const logger = pino({ level: 'silent' });

  it('refuses a Redis url without a secret, naming SWITCHBOARD_SECRET', () => {
    assert.throws(() => createTokenStore({ url: 'redis://127.0.0.1:6379/0', logger }), (error: unknown) => {
      return error instanceof StoreConfigError && /SWITCHBOARD_SECRET/.test(error.message);
    });
  });

  it('refuses a short secret', () => {
    assert.throws(() => createTokenStore({ url: 'rediss://127.0.0.1:6379', secret: 'short', logger }), StoreConfigError);
    assert.throws(() => createTokenStore({ url: 'memory:', secret: 'short', logger }), StoreConfigError);
  });

  it('refuses unknown schemes and malformed urls without echoing a password', () => {
    for (const url of ['postgres://db/1', 'not a url', 'redis://127.0.0.1:6379/zero', 'redis://:hunter2@/']) {
      assert.throws(
        () => createTokenStore({ url, secret: SECRET, logger }),
        (error: unknown) => error instanceof StoreConfigError && !error.message.includes('hunter2'),
        url,
      );
    }
  });

  it('opens a memory store without a secret', async () => {
    const store = track(createTokenStore({ url: 'memory:', logger }));
    assert.equal(store.kind, 'memory');
  });
});

describe('Sealer', () => {
  const sealer = new Sealer(SECRET);

  it('opens what it sealed for the same owner only', () => {
    const sealed = sealer.seal('access-token-value', 'owner-a');
    assert.equal(sealer.open(sealed, 'owner-a'), 'access-token-value');
    assert.equal(sealer.open(sealed, 'owner-b'), undefined);
    assert.equal(new Sealer(OTHER_SECRET).open(sealed, 'owner-a'), undefined);
  });

  it('derives one key per purpose from one secret: a request state and a record never open as each other', () => {
    const requestStates = requestStateSealer(SECRET);
    const state = requestStates.seal('state', 'owner');
    // Another replica with the same secret opens it; the store's record key does not.
    assert.equal(requestStateSealer(SECRET).open(state, 'owner'), 'state');
    assert.equal(sealer.open(state, 'owner'), undefined);
    assert.equal(requestStates.open(sealer.seal('record', 'owner'), 'owner'), undefined);
    assert.throws(() => requestStateSealer('short'), /at least 32 characters/);
  });

  it('uses a fresh IV per record and rejects tampering', () => {
    const [one, two] = [sealer.seal('same', 'owner'), sealer.seal('same', 'owner')];
    assert.notEqual(one, two);
    const body = Buffer.from(one.slice(3), 'base64url');
    body[body.length - 1]! ^= 1;
    assert.equal(sealer.open(`v1.${body.toString('base64url')}`, 'owner'), undefined);
    assert.equal(sealer.open('v1.AAAA', 'owner'), undefined);
    assert.equal(sealer.open('plaintext', 'owner'), undefined);
  });
});
