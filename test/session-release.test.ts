import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { AuthManager } from '../src/auth/index.js';
import { parseConfig } from '../src/config/index.js';
import { createHttpApp, httpOrigin, listen, ModernEndpoint, modernPrincipal, SessionRegistry } from '../src/http/index.js';
import { createLogger } from '../src/log/index.js';
import { Metrics } from '../src/metrics/index.js';
import { createTokenStore, requestStateSealer } from '../src/store/index.js';
import { ConnectionPool } from '../src/upstream/index.js';
import { startMockMcpServer, type MockMcpServer } from '../mock-servers/mcp/index.js';

// A session that ends must release everything it held (issue 6, "No leak"). What holds a session alive is anything
// still reachable that points into it: a timer, a listener on a long-lived emitter, an entry in a process-wide map,
// a logger or metric child kept somewhere. Instead of listing those one by one, this asks the garbage collector:
// after the clients end their sessions, every session, its MCP server and its transport must be collected.
// `--expose-gc` is turned on from here, so the suite's command line stays as it is.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SESSIONS = 12;
/** Collection rounds before giving up; each round is a full GC followed by a turn of the event loop. */
const GC_ROUNDS = 30;

describe('an ended session', () => {
  const upstreams: MockMcpServer[] = [];
  let registry: SessionRegistry;
  let modern: ModernEndpoint;
  let pool: ConnectionPool;
  let server: Server;
  let url: string;

  before(async () => {
    upstreams.push(
      await startMockMcpServer({ name: 'weather' }, { transport: 'streamable-http' }),
      await startMockMcpServer({ name: 'news' }, { transport: 'streamable-http' }),
    );
    const config = parseConfig({
      mcpServers: { weather: { url: upstreams[0]!.url }, news: { url: upstreams[1]!.url } },
      http: { port: 0 },
      sessions: { firstListWaitMs: 20_000 },
    }, 'test');
    const logger = createLogger({ level: 'silent', pretty: false });
    const metrics = new Metrics();
    const auth = new AuthManager(config, createTokenStore({ url: 'memory:', logger }), logger);
    pool = new ConnectionPool(config, logger);
    registry = new SessionRegistry(config, pool, logger, metrics, auth);
    modern = new ModernEndpoint({ principal: modernPrincipal('127.0.0.1', 'tester'), config, pool, logger, metrics, auth, rounds: { sealer: requestStateSealer(undefined), replica: 'test' } });
    server = createServer(createHttpApp({ config, logger, metrics, sessions: registry, modern, readiness: async () => ({ ready: true }), upstreamConnections: () => pool.connections(), health: () => ({}) }));
    const port = await listen(server, 0, '127.0.0.1');
    auth.setPublicUrl(httpOrigin('127.0.0.1', port));
    url = `${httpOrigin('127.0.0.1', port)}/mcp`;
  });

  after(async () => {
    await Promise.all([registry.closeAll(), modern.close()]);
    await pool.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all(upstreams.map((u) => u.stop()));
  });

  it('leaves nothing of its own on any upstream, and is garbage collected with its server and transport', async () => {
    const collected = new Set<string>();
    const watch = new FinalizationRegistry<string>((label) => collected.add(label));
    const labels = await useSessions(url, registry, watch);
    assert.equal(labels.length, SESSIONS * 3);

    assert.equal(registry.size, 0, 'switchboard still holds sessions its clients ended');
    // The public upstreams were reached over their one shared connection each, whatever the number of sessions.
    assert.equal(pool.size, 2, 'connections of ended sessions are still open');
    assert.deepEqual(upstreams.map((u) => u.sessions()), [1, 1], 'upstream sessions other than the shared ones');

    for (let round = 0; round < GC_ROUNDS && collected.size < labels.length; round++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(labels.filter((label) => !collected.has(label)), [], 'objects of ended sessions are still reachable');
  });
});

/**
 * Opens SESSIONS sessions as SDK clients do, uses each (a first list, a tool call, the client's notification stream),
 * watches each session's objects, then ends them all (DELETE). In its own function, so that nothing on this stack
 * keeps a session alive.
 */
async function useSessions(url: string, registry: SessionRegistry, watch: FinalizationRegistry<string>): Promise<string[]> {
  const labels: string[] = [];
  const clients = await Promise.all(Array.from({ length: SESSIONS }, async (_, i) => {
    const client = new Client({ name: `release-${i}`, version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(url));
    await client.connect(transport);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['news_echo', 'weather_echo']);
    const result = await client.callTool({ name: 'weather_echo', arguments: { text: `call ${i}` } });
    assert.deepEqual(result.content, [{ type: 'text', text: `call ${i}` }]);
    const found = registry.find(transport.sessionId!, undefined);
    assert.ok(found, 'switchboard does not know the session it opened');
    for (const [kind, object] of [['session', found.session], ['server', found.session.server], ['transport', found.transport]] as const) {
      const label = `${kind} ${i}`;
      watch.register(object, label);
      labels.push(label);
    }
    return { client, transport };
  }));
  await Promise.all(clients.map(async ({ client, transport }) => {
    await transport.terminateSession();
    await client.close();
  }));
  await eventually(() => registry.size === 0);
  return labels;
}

/** Polls a condition that the code under test makes true asynchronously; the bound is generous, never a timing claim. */
async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
}
