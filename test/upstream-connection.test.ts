import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import type { ServerConfig } from '../src/config/index.js';
import { MemoryEraVerdicts, RELAYABLE_CAPABILITIES, UpstreamConnection, UpstreamRequestError, UpstreamUnavailableError, type ConnectionUser } from '../src/upstream/index.js';
import { startMockMcpServer, stdioCommand, type MockEra, type MockMcpServer, type MockMcpSpec, type MockTransportKind } from '../mock-servers/mcp/index.js';

const logger = pino({ level: 'silent' });

const spec: MockMcpSpec = {
  name: 'weather',
  tools: [{ name: 'echo' }, { name: 'progress' }, { name: 'sample' }, { name: 'hang' }],
  prompts: [{ name: 'greet' }],
  resources: [{ uri: 'file:///readme.txt', name: 'readme', text: 'hello' }],
  resourceTemplates: [{ uriTemplate: 'weather://{city}', name: 'city weather' }],
};

const peer = (answers: { sampled?: string } = {}, onChange: () => void = () => {}): ConnectionUser => ({
  upstreamChanged: onChange,
  upstreamRequest: async (_connection, request) => {
    if (request.method !== 'sampling/createMessage') throw new Error(`unexpected ${request.method}`);
    return { model: 'm', role: 'assistant', content: { type: 'text', text: answers.sampled ?? 'sampled' } };
  },
  upstreamNotification: () => {},
});

const mocks: MockMcpServer[] = [];
const connections: UpstreamConnection[] = [];
afterEach(async () => {
  await Promise.all(connections.splice(0).map((c) => c.close()));
  await Promise.all(mocks.splice(0).map((m) => m.stop()));
});

async function mockOf(era: MockEra, options: { transport?: MockTransportKind; port?: number; spec?: MockMcpSpec } = {}): Promise<MockMcpServer> {
  const mock = await startMockMcpServer(options.spec ?? spec, { transport: options.transport ?? 'streamable-http', era, port: options.port });
  mocks.push(mock);
  return mock;
}

function remote(url: string, extra: Partial<ServerConfig> = {}): ServerConfig {
  return { url, timeoutMs: 5000, prefix: true, ...extra } as ServerConfig;
}

async function connected(config: ServerConfig, verdicts: MemoryEraVerdicts, options: { peer?: ConnectionUser; onChange?: () => void } = {}): Promise<UpstreamConnection> {
  const connection = new UpstreamConnection({
    name: 'weather',
    config,
    capabilities: RELAYABLE_CAPABILITIES,
    logger,
    backoff: { initialMs: 50, maxMs: 200 },
    verdicts,
  });
  connections.push(connection);
  connection.attach(options.peer ?? peer({}, options.onChange));
  connection.start();
  await connection.settled(10_000);
  return connection;
}

function textOf(result: unknown): string {
  const first = (result as { content?: { type: string; text?: string }[] }).content?.[0];
  assert.ok(first?.type === 'text' && typeof first.text === 'string', `expected a text result, got ${JSON.stringify(result)}`);
  return first.text;
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('upstream era negotiation', () => {
  for (const era of ['modern', 'both'] as const) {
    it(`a ${era} server is reached in the 2026 era, and a second connection reuses the verdict with no handshake`, async () => {
      const mock = await mockOf(era);
      const verdicts = new MemoryEraVerdicts();
      const first = await connected(remote(mock.url), verdicts);
      assert.equal(first.state, 'connected', first.stateDetail);
      assert.equal(first.era, 'modern');
      assert.deepEqual(first.catalog.tools.map((t) => t.name), ['echo', 'progress', 'sample', 'hang']);
      assert.equal(mock.discoverProbes(), 1);

      const before = mock.requestCounts();
      const second = await connected(remote(mock.url), verdicts);
      assert.equal(second.era, 'modern');
      const after = mock.requestCounts();
      const sent = Object.fromEntries(Object.entries(after).map(([method, n]) => [method, n - (before[method] ?? 0)]).filter(([, n]) => n !== 0));
      // Connecting costs nothing; what the second connection sent is its catalog listing and its listen stream.
      assert.equal(sent['server/discover'], undefined);
      assert.equal(sent.initialize, undefined);
      assert.deepEqual(Object.keys(sent).sort(), ['prompts/list', 'resources/list', 'resources/templates/list', 'subscriptions/listen', 'tools/list'].filter((m) => m !== 'subscriptions/listen' || sent[m] !== undefined));
      assert.equal(textOf(await second.request({ method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } })), 'hi');
    });
  }

  it('a 2025 server is probed once, then reached with initialize alone', async () => {
    const mock = await mockOf('legacy');
    const verdicts = new MemoryEraVerdicts();
    const first = await connected(remote(mock.url), verdicts);
    assert.equal(first.era, 'legacy');
    assert.equal(mock.discoverProbes(), 1);
    const second = await connected(remote(mock.url), verdicts);
    assert.equal(second.era, 'legacy');
    assert.equal(mock.discoverProbes(), 1, 'the cached legacy verdict skips the probe');
    assert.equal(textOf(await second.request({ method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } })), 'hi');
  });

  it('a 2026-only server is not taken for a legacy SSE server (no fallback, no "405")', async () => {
    const mock = await mockOf('modern');
    const connection = await connected(remote(mock.url), new MemoryEraVerdicts());
    assert.equal(connection.state, 'connected', connection.stateDetail);
    assert.equal(connection.era, 'modern');
    assert.equal(mock.requestCounts().initialize, undefined);
  });

  it('a legacy SSE server is still reached through the fallback', async () => {
    const mock = await mockOf('legacy', { transport: 'sse' });
    const connection = await connected(remote(mock.url.replace(/\/sse$/, '/sse')), new MemoryEraVerdicts());
    assert.equal(connection.state, 'connected', connection.stateDetail);
    assert.equal(connection.era, 'legacy');
  });

  it('a stale 2026 verdict (the server went back to 2025) is dropped and the server probed again', async () => {
    const modern = await mockOf('modern');
    const verdicts = new MemoryEraVerdicts();
    const url = modern.url;
    await connected(remote(url), verdicts);
    await Promise.all(connections.splice(0).map((c) => c.close()));
    await modern.stop();
    mocks.splice(mocks.indexOf(modern), 1);
    const legacy = await mockOf('legacy', { port: modern.port });
    const connection = await connected(remote(url), verdicts);
    // The first attempt may meet a keep-alive socket of the server that went away; the retry connects.
    await until(() => connection.state === 'connected', 'connected');
    assert.equal(connection.era, 'legacy');
    assert.equal(legacy.discoverProbes(), 1, 'probed again after the stale verdict failed');
  });

  it('a stale 2025 verdict (the server now speaks 2026 only) is dropped and the server probed again', async () => {
    const legacy = await mockOf('legacy');
    const verdicts = new MemoryEraVerdicts();
    const url = legacy.url;
    await connected(remote(url), verdicts);
    await Promise.all(connections.splice(0).map((c) => c.close()));
    await legacy.stop();
    mocks.splice(mocks.indexOf(legacy), 1);
    const modern = await mockOf('modern', { port: legacy.port });
    const connection = await connected(remote(url), verdicts);
    await until(() => connection.state === 'connected', 'connected');
    assert.equal(connection.era, 'modern');
    assert.equal(modern.requestCounts().initialize, 1, 'the stale verdict was tried once and refused');
    assert.equal(modern.discoverProbes(), 1);
  });

  it('verdicts are kept per credential context', async () => {
    const mock = await mockOf('modern');
    const verdicts = new MemoryEraVerdicts();
    await connected(remote(mock.url, { headers: { 'x-api-key': 'one' } } as Partial<ServerConfig>), verdicts);
    await connected(remote(mock.url, { headers: { 'x-api-key': 'two' } } as Partial<ServerConfig>), verdicts);
    assert.equal(mock.discoverProbes(), 2);
    await connected(remote(mock.url, { headers: { 'x-api-key': 'one' } } as Partial<ServerConfig>), verdicts);
    assert.equal(mock.discoverProbes(), 2);
  });

  for (const era of ['legacy', 'modern'] as const) {
    it(`a ${era} stdio server is reached in its era`, async () => {
      const { command, args } = stdioCommand({ name: 'local', tools: [{ name: 'echo' }] }, { era });
      const connection = await connected({ command, args, timeoutMs: 10_000, prefix: true } as ServerConfig, new MemoryEraVerdicts());
      assert.equal(connection.state, 'connected', connection.stateDetail);
      assert.equal(connection.era, era);
      assert.equal(textOf(await connection.request({ method: 'tools/call', params: { name: 'echo', arguments: { text: 'over stdio' } } })), 'over stdio');
    });
  }
});

describe('upstream stdio servers that exit on an early request', () => {
  it('are probed in a throwaway process and reached in the 2025 era', async () => {
    const { command, args } = stdioCommand({ name: 'strict', tools: [{ name: 'echo' }], exitOnEarlyRequest: true });
    const verdicts = new MemoryEraVerdicts();
    for (let round = 0; round < 2; round++) {
      const connection = await connected({ command, args, timeoutMs: 15_000, prefix: true } as ServerConfig, verdicts);
      assert.equal(connection.state, 'connected', connection.stateDetail);
      assert.equal(connection.era, 'legacy');
      assert.equal(textOf(await connection.request({ method: 'tools/call', params: { name: 'echo', arguments: { text: 'still here' } } })), 'still here');
    }
  });
});

describe('upstream relay in both eras', () => {
  for (const era of ['legacy', 'modern'] as const) {
    it(`${era}: a sampling request of the upstream is answered by the session's client`, async () => {
      const mock = await mockOf(era);
      const connection = await connected(remote(mock.url), new MemoryEraVerdicts(), { peer: peer({ sampled: 'from the client' }) });
      assert.equal(textOf(await connection.request({ method: 'tools/call', params: { name: 'sample', arguments: { prompt: 'p' } } })), 'from the client');
    });

    it(`${era}: list changes refresh the catalog`, async () => {
      const mock = await mockOf(era);
      const connection = await connected(remote(mock.url), new MemoryEraVerdicts());
      // The 2026 listen stream opens after connecting.
      if (era === 'modern') await until(() => (mock.requestCounts()['subscriptions/listen'] ?? 0) > 0, 'the listen stream');
      await new Promise((resolve) => setTimeout(resolve, 100));
      mock.addTool({ name: 'added' });
      await until(() => connection.catalog.tools.some((t) => t.name === 'added'), 'the refreshed catalog');
    });
  }
});

describe('upstream defects of issue 6', () => {
  it('a tools/list_changed during the first listing replaces only the tools (prompts and resources stay)', async () => {
    const mock = await mockOf('legacy', { spec: { ...spec, listDelayMs: 100, toolsChangedOnInitialized: true } });
    let changes = 0;
    const connection = await connected(remote(mock.url), new MemoryEraVerdicts(), { onChange: () => changes++ });
    assert.equal(connection.state, 'connected', connection.stateDetail);
    const afterConnect = changes;
    await until(() => changes > afterConnect, 'the refresh after list_changed');
    assert.deepEqual(connection.catalog.prompts.map((p) => p.name), ['greet']);
    assert.deepEqual(connection.catalog.resources.map((r) => r.uri), ['file:///readme.txt']);
    assert.deepEqual(connection.catalog.resourceTemplates.map((t) => t.uriTemplate), ['weather://{city}']);
  });

  const progressCases: { era: MockEra; transport: MockTransportKind | 'stdio' }[] = [
    { era: 'legacy', transport: 'streamable-http' },
    { era: 'legacy', transport: 'sse' },
    { era: 'legacy', transport: 'stdio' },
    { era: 'modern', transport: 'streamable-http' },
  ];
  for (const { era, transport } of progressCases) {
    it(`${era} over ${transport}: every progress notification arrives, in order, before the result, even in one chunk with it`, async () => {
      let config: ServerConfig;
      if (transport === 'stdio') {
        const { command, args } = stdioCommand({ name: 'local', tools: [{ name: 'progress' }] }, { era });
        config = { command, args, timeoutMs: 10_000, prefix: true } as ServerConfig;
      } else {
        config = remote((await mockOf(era, { transport })).url);
      }
      const connection = await connected(config, new MemoryEraVerdicts());
      for (let round = 0; round < 5; round++) {
        const seen: number[] = [];
        const result = await connection.request(
          { method: 'tools/call', params: { name: 'progress', arguments: { steps: 3, intervalMs: 0 } } },
          { onprogress: (progress) => seen.push(progress.progress) },
        );
        seen.push(-1);
        assert.equal(textOf(result), 'done');
        assert.deepEqual(seen, [1, 2, 3, -1]);
      }
    });
  }

  for (const transport of ['streamable-http', 'sse'] as const) {
    it(`${transport}: a call to a server whose connection just died ends as "unavailable", naming the server and its state`, async () => {
      const mock = await mockOf('legacy', { transport });
      const connection = await connected(remote(mock.url), new MemoryEraVerdicts());
      const call = connection.request({ method: 'tools/call', params: { name: 'hang' } });
      await until(() => mock.calls().some((c) => c.tool === 'hang'), 'the call to reach the server');
      await mock.stop();
      const error = await call.then(() => assert.fail('the call should fail'), (e: unknown) => e);
      assert.ok(error instanceof UpstreamUnavailableError, `expected UpstreamUnavailableError, got ${String(error)}`);
      assert.match(error.message, /^server "weather" is (unreachable|connecting)/);
      assert.doesNotMatch(error.message, /-32000/);
    });
  }

  it('closing a 2026 connection ends the call in flight on the wire: the upstream sees its request end', async () => {
    const mock = await mockOf('modern');
    const connection = await connected(remote(mock.url), new MemoryEraVerdicts());
    assert.equal(connection.era, 'modern');
    const call = connection.request({ method: 'tools/call', params: { name: 'hang' } }).then(() => assert.fail('the call should fail'), (e: unknown) => e);
    await until(() => mock.calls().some((c) => c.tool === 'hang'), 'the call to reach the server');
    await connection.close();
    const error = await call;
    assert.ok(error instanceof UpstreamUnavailableError, `expected UpstreamUnavailableError, got ${String(error)}`);
    assert.match(error.message, /closed/);
    // 2026-07-28 has no notifications/cancelled: the server learns only from the request's connection closing.
    await until(() => mock.cancelled().includes('hang'), 'the upstream to see the request end');
  });

  for (const era of ['legacy', 'modern'] as const) {
    it(`${era}: an upstream's JSON-RPC error is relayed with its own text, without an "MCP error" prefix`, async () => {
      const mock = await mockOf(era);
      const connection = await connected(remote(mock.url), new MemoryEraVerdicts());
      const error = await connection.request({ method: 'prompts/get', params: { name: 'nope' } }).then(() => assert.fail('should fail'), (e: unknown) => e);
      assert.ok(error instanceof UpstreamRequestError, String(error));
      assert.equal(error.code, -32602);
      assert.equal(error.message, 'Unknown prompt: nope');
      // tools/call takes the direct path (direct-call.ts): the same rule holds there.
      const callError = await connection.request({ method: 'tools/call', params: { name: 'nope' } }).then(() => assert.fail('should fail'), (e: unknown) => e);
      assert.ok(callError instanceof UpstreamRequestError, String(callError));
      assert.equal(callError.message, 'Unknown tool: nope');
    });
  }
});
