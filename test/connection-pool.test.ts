import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { parseConfig, type Config } from '../src/config/index.js';
import { ConnectionPool, MemoryEraVerdicts, type ConnectionUser, type UpstreamConnection } from '../src/upstream/index.js';
import { startMockMcpServer, stdioCommand, type MockEra, type MockMcpServer } from '../mock-servers/mcp/index.js';

const logger = pino({ level: 'silent' });

/** A view as the pool sees it; `sampled` is what its client answers a sampling request with. */
function user(sampled = 'sampled', changes: string[] = []): ConnectionUser {
  return {
    upstreamChanged: (connection) => void changes.push(connection.state),
    upstreamNotification: () => {},
    upstreamRequest: async (_connection, request) => {
      if (request.method !== 'sampling/createMessage') throw new Error(`unexpected ${request.method}`);
      return { model: 'm', role: 'assistant', content: { type: 'text', text: sampled } };
    },
  };
}

const mocks: MockMcpServer[] = [];
const pools: ConnectionPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
  await Promise.all(mocks.splice(0).map((m) => m.stop()));
});

async function setup(era: MockEra = 'legacy'): Promise<{ mock: MockMcpServer; pool: ConnectionPool; config: Config }> {
  const mock = await startMockMcpServer({ name: 'weather', tools: [{ name: 'echo' }, { name: 'sample' }] }, { transport: 'streamable-http', era });
  mocks.push(mock);
  const config = parseConfig({ mcpServers: { weather: { url: mock.url, timeoutMs: 5_000 } } }, 'test');
  const pool = new ConnectionPool(config, logger, new MemoryEraVerdicts());
  pools.push(pool);
  return { mock, pool, config };
}

async function ready(connection: UpstreamConnection): Promise<UpstreamConnection> {
  await connection.settled(10_000);
  assert.equal(connection.state, 'connected', connection.stateDetail);
  return connection;
}

function textOf(result: unknown): string {
  const first = (result as { content?: { type: string; text?: string }[] }).content?.[0];
  assert.ok(first?.type === 'text' && typeof first.text === 'string', `expected a text result, got ${JSON.stringify(result)}`);
  return first.text;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  assert.ok(condition(), `timed out waiting for ${what}`);
}

describe('the connection pool', () => {
  it('gives every user of a public server the same connection: one upstream session for all', async () => {
    const { mock, pool } = await setup();
    const users = Array.from({ length: 20 }, () => user());
    const connections = users.map((u) => pool.acquire({ server: 'weather', capabilities: {} }, u));
    assert.equal(new Set(connections).size, 1);
    await ready(connections[0]!);
    assert.equal(pool.size, 1);
    assert.equal(mock.sessions(), 1);
    assert.equal(connections[0]!.userCount, 20);
  });

  it('keeps principals, isolated views and client capabilities apart', async () => {
    const { pool } = await setup();
    const u = user();
    const shared = pool.acquire({ server: 'weather', capabilities: {} }, u);
    const alice = pool.acquire({ server: 'weather', owner: 'user:alice', capabilities: {} }, u);
    const bob = pool.acquire({ server: 'weather', owner: 'user:bob', capabilities: {} }, u);
    const sampling = pool.acquire({ server: 'weather', capabilities: { sampling: {} } }, u);
    assert.equal(new Set([shared, alice, bob, sampling]).size, 4);
    assert.equal(pool.acquire({ server: 'weather', owner: 'user:alice', capabilities: {} }, user()), alice);
    assert.equal(pool.size, 4);
  });

  it('closes a principal\'s own connection with its last user, and ends its upstream session', async () => {
    const { mock, pool } = await setup();
    const [first, second] = [user(), user()];
    const own = await ready(pool.acquire({ server: 'weather', owner: 'session:s1', capabilities: {} }, first));
    pool.acquire({ server: 'weather', owner: 'session:s1', capabilities: {} }, second);
    assert.equal(mock.sessions(), 1);
    pool.release(own, first);
    assert.equal(own.state, 'connected', 'a connection with a user left stays open');
    pool.release(own, second);
    assert.equal(own.state, 'closed');
    assert.equal(pool.size, 0);
    // MCP 2025-11-25 basic/transports#session-management: the upstream session is ended with DELETE.
    await until(() => mock.sessions() === 0, 'the upstream session to end');
  });

  it('keeps a shared connection open without users, for the next session', async () => {
    const { mock, pool } = await setup();
    const first = user();
    const shared = await ready(pool.acquire({ server: 'weather', capabilities: {} }, first));
    pool.release(shared, first);
    assert.equal(shared.state, 'connected');
    assert.equal(pool.acquire({ server: 'weather', capabilities: {} }, user()), shared);
    assert.equal(mock.sessions(), 1);
  });

  it('opens every server when warmed, and reports their states', async () => {
    const { pool } = await setup();
    pool.warm();
    await until(() => pool.states().weather?.state === 'connected', 'the warmed connection');
    assert.deepEqual(pool.states().weather, { state: 'connected', detail: undefined, tools: 2 });
  });

  for (const era of ['legacy', 'modern'] as const) {
    it(`${era}: concurrent calls of two users on one connection each reach their own client`, async () => {
      const { pool } = await setup(era);
      const capabilities = { sampling: {} };
      const alice = user('from alice');
      const bob = user('from bob');
      const connection = await ready(pool.acquire({ server: 'weather', capabilities }, alice));
      assert.equal(pool.acquire({ server: 'weather', capabilities }, bob), connection);
      const call = (caller: ConnectionUser, i: number) => connection.request(
        { method: 'tools/call', params: { name: 'sample', arguments: { prompt: `p${i}` } } },
        { caller, downstreamRequestId: i },
      );
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => call(i % 2 === 0 ? alice : bob, i)));
      assert.deepEqual(results.map(textOf), Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'from alice' : 'from bob')));
    });
  }

  it('a stdio server\'s request that could be either of two users\' is refused with a clear error, and asks no one', async () => {
    // stdio has one stream for everything: with calls of two users in flight, nothing says whose client to ask.
    const { command, args } = stdioCommand({ name: 'local', tools: [{ name: 'sample' }, { name: 'hang' }] }, { era: 'legacy' });
    const config = parseConfig({ mcpServers: { local: { command, args, timeoutMs: 10_000 } } }, 'test');
    const pool = new ConnectionPool(config, logger, new MemoryEraVerdicts());
    pools.push(pool);
    const asked: string[] = [];
    const asking = (name: string): ConnectionUser => ({ ...user(), upstreamRequest: async () => {
      asked.push(name);
      return { model: 'm', role: 'assistant', content: { type: 'text', text: name } };
    } });
    const [alice, bob] = [asking('alice'), asking('bob')];
    const capabilities = { sampling: {} };
    const connection = await ready(pool.acquire({ server: 'local', capabilities }, alice));
    pool.acquire({ server: 'local', capabilities }, bob);
    const stop = new AbortController();
    const hanging = connection.request({ method: 'tools/call', params: { name: 'hang', arguments: {} } }, { caller: alice, signal: stop.signal }).catch(() => undefined);
    const sampled = await connection.request({ method: 'tools/call', params: { name: 'sample', arguments: { prompt: 'p' } } }, { caller: bob });
    stop.abort();
    await hanging;
    assert.equal(sampled.isError, true);
    assert.match(textOf(sampled), /cannot tell which of its clients sampling\/createMessage is for/);
    assert.deepEqual(asked, []);

    // With one user's calls in flight, the request is that user's.
    const alone = await connection.request({ method: 'tools/call', params: { name: 'sample', arguments: { prompt: 'p' } } }, { caller: bob });
    assert.equal(textOf(alone), 'bob');
  });
});
