import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CallToolResultSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
  type CallToolResult,
  type ClientCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpTransport, type ClientCapabilities as ModernClientCapabilities } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdioTransport } from '@modelcontextprotocol/client/stdio';
import { startMockMcpServer, stdioCommand, type MockMcpServer, type MockMcpSpec, type MockTransportKind } from '../mock-servers/mcp/index.js';

const spec: MockMcpSpec = {
  name: 'weather',
  tools: [
    { name: 'echo' },
    { name: 'whoami' },
    { name: 'slow' },
    { name: 'hang' },
    { name: 'progress' },
    { name: 'log' },
    { name: 'sample' },
    { name: 'elicit' },
    { name: 'roots' },
    { name: 'headers' },
    { name: 'big' },
    { name: 'echo_size' },
    { name: 'forecast', description: 'Forecast for a city' },
    { name: 'broken', fail: true },
    { name: 'lazy', delayMs: 50 },
  ],
  prompts: [{ name: 'greet', description: 'Say hello', arguments: [{ name: 'who', required: true }] }],
  resources: [{ uri: 'file:///readme.txt', name: 'readme', mimeType: 'text/plain', text: 'hello' }],
  resourceTemplates: [{ uriTemplate: 'weather://{city}', name: 'city weather' }],
};

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
});

function transportFor(kind: MockTransportKind, url: string, headers?: Record<string, string>): StreamableHTTPClientTransport | SSEClientTransport {
  const requestInit = headers ? { headers } : undefined;
  return kind === 'sse' ? new SSEClientTransport(new URL(url), { requestInit }) : new StreamableHTTPClientTransport(new URL(url), { requestInit });
}

async function connect(
  kind: MockTransportKind,
  url: string,
  options: { capabilities?: ClientCapabilities; headers?: Record<string, string>; setup?: (client: Client) => void } = {},
): Promise<Client> {
  const client = new Client({ name: 'mock-mcp-test', version: '1.0.0' }, { capabilities: options.capabilities ?? {} });
  options.setup?.(client);
  await client.connect(transportFor(kind, url, options.headers));
  clients.push(client);
  return client;
}

function textOf(result: unknown): string {
  const parsed = CallToolResultSchema.parse(result) as CallToolResult;
  const first = parsed.content[0];
  assert.ok(first && first.type === 'text', 'expected a text result');
  return first.text;
}

async function until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function nextNotification(client: Client, schema: typeof ToolListChangedNotificationSchema | typeof PromptListChangedNotificationSchema | typeof ResourceListChangedNotificationSchema): Promise<void> {
  return new Promise((resolve) => client.setNotificationHandler(schema, () => resolve()));
}

for (const kind of ['streamable-http', 'sse'] as const) {
  describe(`mock MCP server over ${kind}`, () => {
    let mock: MockMcpServer;
    before(async () => {
      mock = await startMockMcpServer(spec, { transport: kind });
    });
    after(async () => {
      await mock.stop();
    });

    it('serves its url on the transport path', () => {
      assert.match(mock.url, kind === 'sse' ? /^http:\/\/127\.0\.0\.1:\d+\/sse$/ : /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    });

    it('lists tools with schemas and answers built-in tools', async () => {
      const client = await connect(kind, mock.url);
      assert.equal(client.getServerVersion()?.name, 'weather');
      const { tools } = await client.listTools();
      assert.deepEqual(
        tools.map((t) => t.name),
        spec.tools?.map((t) => t.name),
      );
      assert.equal(tools.find((t) => t.name === 'echo')?.inputSchema.type, 'object');
      assert.equal(tools.find((t) => t.name === 'forecast')?.description, 'Forecast for a city');

      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'hi' } })), 'hi');
      assert.equal(textOf(await client.callTool({ name: 'whoami' })), 'weather');
      assert.equal(textOf(await client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } })), '{"city":"Oslo"}');
      assert.equal(textOf(await client.callTool({ name: 'big', arguments: { kb: 2 } })).length, 2048);
      assert.equal(textOf(await client.callTool({ name: 'slow', arguments: { ms: 5 } })), 'slept 5ms');
      // Over the 100 kB default of express.json(): big arguments must reach the tool.
      const data = 'y'.repeat(300 * 1024);
      assert.equal(textOf(await client.callTool({ name: 'echo_size', arguments: { data } })), String(data.length));
    });

    it('applies fail and delayMs to any tool', async () => {
      const client = await connect(kind, mock.url);
      const broken = CallToolResultSchema.parse(await client.callTool({ name: 'broken', arguments: {} }));
      assert.equal(broken.isError, true);
      const started = Date.now();
      assert.equal(textOf(await client.callTool({ name: 'lazy', arguments: { a: 1 } })), '{"a":1}');
      assert.ok(Date.now() - started >= 45);
      await assert.rejects(client.callTool({ name: 'nope' }), /Unknown tool/);
    });

    it('records calls with their session', async () => {
      const client = await connect(kind, mock.url);
      await client.callTool({ name: 'echo', arguments: { text: 'recorded' } });
      const call = mock.calls().find((c) => (c.args as { text?: string }).text === 'recorded');
      assert.ok(call);
      assert.equal(call.tool, 'echo');
      assert.equal(typeof call.session, 'string');
    });

    it('serves prompts, resources, templates and completions', async () => {
      const client = await connect(kind, mock.url);
      assert.deepEqual(
        (await client.listPrompts()).prompts.map((p) => p.name),
        ['greet'],
      );
      const prompt = await client.getPrompt({ name: 'greet', arguments: { who: 'ann' } });
      assert.deepEqual(prompt.messages[0]?.content, { type: 'text', text: 'prompt greet from weather args {"who":"ann"}' });
      await assert.rejects(client.getPrompt({ name: 'greet' }), /Missing required arguments: who/);

      assert.deepEqual(
        (await client.listResources()).resources.map((r) => r.uri),
        ['file:///readme.txt'],
      );
      assert.deepEqual((await client.readResource({ uri: 'file:///readme.txt' })).contents[0], { uri: 'file:///readme.txt', mimeType: 'text/plain', text: 'hello' });
      assert.equal((await client.listResourceTemplates()).resourceTemplates[0]?.uriTemplate, 'weather://{city}');
      const templated = (await client.readResource({ uri: 'weather://oslo' })).contents[0];
      assert.ok(templated && 'text' in templated);
      assert.equal(templated.text, 'weather:weather://oslo');
      await assert.rejects(client.readResource({ uri: 'nowhere://x' }), /Resource not found/);

      const completion = await client.complete({ ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'who', value: 'al' } });
      assert.deepEqual(completion.completion.values, ['alpha']);
    });

    it('announces catalog changes to connected sessions (list_changed)', async () => {
      const client = await connect(kind, mock.url);
      const toolsChanged = nextNotification(client, ToolListChangedNotificationSchema);
      mock.addTool({ name: 'added' });
      await toolsChanged;
      assert.ok((await client.listTools()).tools.some((t) => t.name === 'added'));

      const toolsChangedAgain = nextNotification(client, ToolListChangedNotificationSchema);
      mock.removeTool('added');
      await toolsChangedAgain;
      assert.ok(!(await client.listTools()).tools.some((t) => t.name === 'added'));

      const promptsChanged = nextNotification(client, PromptListChangedNotificationSchema);
      mock.addPrompt({ name: 'extra' });
      await promptsChanged;
      mock.removePrompt('extra');

      const resourcesChanged = nextNotification(client, ResourceListChangedNotificationSchema);
      mock.addResource({ uri: 'file:///new.txt', name: 'new', text: 'new' });
      await resourcesChanged;
      assert.equal(((await client.readResource({ uri: 'file:///new.txt' })).contents[0] as { text: string }).text, 'new');
      mock.removeResource('file:///new.txt');
    });

    it('sends progress notifications when the call asks for them', async () => {
      const client = await connect(kind, mock.url);
      const seen: number[] = [];
      const result = await client.callTool({ name: 'progress', arguments: { steps: 3 } }, undefined, { onprogress: (p) => seen.push(p.progress) });
      assert.equal(textOf(result), 'done');
      assert.deepEqual(seen, [1, 2, 3]);
    });

    it('sends log notifications, filtered by the level the client set', async () => {
      const messages: { level: string; data: unknown }[] = [];
      const client = await connect(kind, mock.url, {
        setup: (c) => c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void messages.push({ level: n.params.level, data: n.params.data })),
      });
      assert.equal(textOf(await client.callTool({ name: 'log', arguments: { level: 'warning', message: 'careful' } })), 'logged');
      await until(() => messages.length === 1, 'the log notification');
      assert.deepEqual(messages[0], { level: 'warning', data: 'careful' });

      await client.setLoggingLevel('error');
      await client.callTool({ name: 'log', arguments: { level: 'info', message: 'quiet' } });
      await client.callTool({ name: 'log', arguments: { level: 'error', message: 'loud' } });
      await until(() => messages.length === 2, 'the error notification');
      assert.equal(messages[1]?.data, 'loud');
    });

    it('asks the client to sample, and reports a refusal as a tool error', async () => {
      const client = await connect(kind, mock.url, {
        capabilities: { sampling: {} },
        setup: (c) =>
          c.setRequestHandler(CreateMessageRequestSchema, (request) => {
            const content = request.params.messages[0]?.content;
            const prompt = content && 'text' in content ? content.text : '';
            if (prompt === 'refuse') throw new Error('user declined');
            return { role: 'assistant', model: 'test-model', content: { type: 'text', text: `answer to ${prompt}` } };
          }),
      });
      assert.equal(textOf(await client.callTool({ name: 'sample', arguments: { prompt: 'why?' } })), 'answer to why?');
      const refused = CallToolResultSchema.parse(await client.callTool({ name: 'sample', arguments: { prompt: 'refuse' } }));
      assert.equal(refused.isError, true);
      assert.match(textOf({ ...refused, isError: undefined }), /user declined/);
    });

    it('elicits and lists roots through the client', async () => {
      const client = await connect(kind, mock.url, {
        capabilities: { elicitation: { form: {} }, roots: {} },
        setup: (c) => {
          c.setRequestHandler(ElicitRequestSchema, () => ({ action: 'accept', content: { answer: 'yes' } }));
          c.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [{ uri: 'file:///work', name: 'work' }] }));
        },
      });
      assert.deepEqual(JSON.parse(textOf(await client.callTool({ name: 'elicit', arguments: { message: 'ok?' } }))), { action: 'accept', content: { answer: 'yes' } });
      assert.deepEqual(JSON.parse(textOf(await client.callTool({ name: 'roots' }))), { roots: [{ uri: 'file:///work', name: 'work' }] });
    });

    it('shows the HTTP headers a call arrived with', async () => {
      const client = await connect(kind, mock.url, { headers: { 'x-test-header': 'present' } });
      const headers = JSON.parse(textOf(await client.callTool({ name: 'headers' }))) as Record<string, string>;
      assert.equal(headers['x-test-header'], 'present');
    });

    it('records a call the client cancelled', async () => {
      const client = await connect(kind, mock.url);
      const abort = new AbortController();
      const call = client.callTool({ name: 'hang' }, undefined, { signal: abort.signal });
      await until(() => mock.calls().some((c) => c.tool === 'hang'), 'the hang call to arrive');
      abort.abort('test cancels');
      await assert.rejects(call);
      await until(() => mock.cancelled().includes('hang'), 'the cancellation to be recorded');

      const slowAbort = new AbortController();
      const slow = client.callTool({ name: 'slow', arguments: { ms: 60_000 } }, undefined, { signal: slowAbort.signal });
      await until(() => mock.calls().some((c) => c.tool === 'slow' && (c.args as { ms?: number }).ms === 60_000), 'the slow call to arrive');
      slowAbort.abort();
      await assert.rejects(slow);
      await until(() => mock.cancelled().includes('slow'), 'the slow cancellation to be recorded');
    });

    it('counts sessions', async () => {
      const own = await startMockMcpServer({ name: 'counted' }, { transport: kind });
      try {
        const client = await connect(kind, own.url);
        await connect(kind, own.url);
        assert.equal(own.sessions(), 2);
        const transport = client.transport;
        // Streamable HTTP: a session ends with DELETE; legacy SSE: when its stream closes.
        if (transport instanceof StreamableHTTPClientTransport) await transport.terminateSession();
        await client.close();
        await until(() => own.sessions() === 1, 'the session to end');
      } finally {
        await own.stop();
      }
    });
  });
}

describe('mock MCP server list_changed over Streamable HTTP', () => {
  it('keeps a change made before the client opened its GET stream, and sends it when it opens', { timeout: 5000 }, async () => {
    const mock = await startMockMcpServer({ name: 'early' }, { transport: 'streamable-http' });
    try {
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };
      const init = await fetch(mock.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
      });
      const session = init.headers.get('mcp-session-id');
      assert.ok(session);
      await init.text();
      const initialized = await fetch(mock.url, { method: 'POST', headers: { ...headers, 'mcp-session-id': session }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
      assert.equal(initialized.status, 202);

      mock.addTool({ name: 'late' }); // no GET stream yet

      const abort = new AbortController();
      const stream = await fetch(mock.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' }, signal: abort.signal });
      assert.equal(stream.status, 200);
      const reader = stream.body!.getReader();
      let received = '';
      while (!received.includes('notifications/tools/list_changed')) {
        const { value, done } = await reader.read();
        assert.ok(!done, 'stream ended before list_changed');
        received += new TextDecoder().decode(value);
      }
      abort.abort();
    } finally {
      await mock.stop();
    }
  });
});

describe('mock MCP server crashes and comes back', () => {
  for (const kind of ['streamable-http', 'sse'] as const) {
    it(`${kind}: stop() drops every connection, start() listens on the same port`, async () => {
      const mock = await startMockMcpServer({ name: 'phoenix' }, { transport: kind });
      try {
        const url = mock.url;
        const client = await connect(kind, url);
        assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'before' } })), 'before');
        const abort = new AbortController();
        const pending = client.callTool({ name: 'hang' }, undefined, { signal: abort.signal, timeout: 5000 }).catch(() => undefined);

        await mock.stop();
        assert.equal(mock.sessions(), 0);
        await assert.rejects(client.callTool({ name: 'echo', arguments: { text: 'down' } }, undefined, { timeout: 2000 }));
        abort.abort();
        await pending;
        // Closing the sessions is not a client's cancellation.
        assert.deepEqual(mock.cancelled(), []);

        await mock.start();
        assert.equal(mock.url, url);
        const fresh = await connect(kind, url);
        assert.equal(textOf(await fresh.callTool({ name: 'echo', arguments: { text: 'after' } })), 'after');
        assert.equal(mock.sessions(), 1);
      } finally {
        await mock.stop();
      }
    });
  }
});

describe('mock MCP server failure modes', () => {
  for (const kind of ['streamable-http', 'sse'] as const) {
    it(`${kind}: answers every POST with 500 in http500 mode`, async () => {
      const mock = await startMockMcpServer({ name: 'flaky' }, { transport: kind });
      try {
        mock.setFailing('http500');
        const client = new Client({ name: 'c', version: '1' });
        clients.push(client);
        await assert.rejects(client.connect(transportFor(kind, mock.url), { timeout: 2000 }), (error: { code?: unknown; message?: string }) =>
          kind === 'sse' ? /500/.test(error.message ?? '') : error.code === 500,
        );
        mock.setFailing('none');
        await connect(kind, mock.url);
      } finally {
        await mock.stop();
      }
    });

    it(`${kind}: never answers initialize in hang-initialize mode`, async () => {
      const mock = await startMockMcpServer({ name: 'stuck' }, { transport: kind });
      try {
        mock.setFailing('hang-initialize');
        const client = new Client({ name: 'c', version: '1' });
        clients.push(client);
        await assert.rejects(client.connect(transportFor(kind, mock.url), { timeout: 300 }), /timed out/i);
        mock.setFailing('none');
        await connect(kind, mock.url);
      } finally {
        await mock.stop();
      }
    });
  }

  it('an SSE-only server refuses Streamable HTTP POSTs so clients fall back', async () => {
    const sse = await startMockMcpServer({ name: 'legacy' }, { transport: 'sse' });
    try {
      const response = await fetch(sse.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } } }),
      });
      assert.equal(response.status, 405);
      const client = new Client({ name: 'c', version: '1' });
      await assert.rejects(client.connect(new StreamableHTTPClientTransport(new URL(sse.url))), (error: { code?: unknown }) => error.code === 405);
      // ...and the legacy transport then works at the same URL.
      await connect('sse', sse.url);
    } finally {
      await sse.stop();
    }
  });
});

describe('mock MCP server over stdio', () => {
  it('lists and calls tools in a child process', async () => {
    const { command, args } = stdioCommand({ name: 'local', tools: [{ name: 'echo' }, { name: 'whoami' }, { name: 'headers' }] });
    const client = new Client({ name: 'mock-mcp-test', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command, args, stderr: 'inherit' }));
    clients.push(client);
    assert.deepEqual(
      (await client.listTools()).tools.map((t) => t.name),
      ['echo', 'whoami', 'headers'],
    );
    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'over stdio' } })), 'over stdio');
    assert.equal(textOf(await client.callTool({ name: 'whoami' })), 'local');
    const headers = CallToolResultSchema.parse(await client.callTool({ name: 'headers' }));
    assert.equal(headers.isError, true);
  });
});

// --- the 2026-07-28 era, served with SDK v2 and checked with an SDK v2 client ---

const modernClients: ModernClient[] = [];
afterEach(async () => {
  await Promise.all(modernClients.splice(0).map((c) => c.close().catch(() => undefined)));
});

async function connectModern(url: string, options: { capabilities?: ModernClientCapabilities; setup?: (client: ModernClient) => void } = {}): Promise<ModernClient> {
  const client = new ModernClient({ name: 'mock-mcp-test', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' }, capabilities: options.capabilities ?? {} });
  options.setup?.(client);
  await client.connect(new ModernHttpTransport(new URL(url)));
  modernClients.push(client);
  return client;
}

for (const era of ['modern', 'both'] as const) {
  describe(`mock MCP server in the ${era} era, to a 2026-07-28 client`, () => {
    let mock: MockMcpServer;
    before(async () => {
      mock = await startMockMcpServer(spec, { transport: 'streamable-http', era });
    });
    after(async () => {
      await mock.stop();
    });

    it('is discovered as a 2026-07-28 server with one server/discover probe', async () => {
      const before = mock.discoverProbes();
      const client = await connectModern(mock.url);
      assert.equal(client.getProtocolEra(), 'modern');
      assert.deepEqual(client.getDiscoverResult()?.supportedVersions, ['2026-07-28']);
      assert.equal(mock.discoverProbes(), before + 1);
      assert.equal(mock.sessions(), 0, 'a 2026 client holds no session');
    });

    it('lists the same catalog and answers the same tools', async () => {
      const client = await connectModern(mock.url);
      assert.deepEqual((await client.listTools()).tools.map((t) => t.name), spec.tools?.map((t) => t.name));
      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'hi' } })), 'hi');
      assert.equal(textOf(await client.callTool({ name: 'whoami' })), 'weather');
      assert.equal((await client.callTool({ name: 'broken' })).isError, true);
      assert.deepEqual((await client.listPrompts()).prompts.map((p) => p.name), ['greet']);
      const prompt = await client.getPrompt({ name: 'greet', arguments: { who: 'x' } });
      assert.match(JSON.stringify(prompt.messages), /prompt greet from weather/);
      assert.deepEqual((await client.listResources()).resources.map((r) => r.uri), ['file:///readme.txt']);
      assert.deepEqual((await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate), ['weather://{city}']);
      assert.deepEqual((await client.readResource({ uri: 'weather://paris' })).contents.map((c) => ('text' in c ? c.text : '')), ['weather:weather://paris']);
      await assert.rejects(client.readResource({ uri: 'nope://x' }));
      const calls = mock.calls().filter((c) => c.tool === 'echo');
      assert.deepEqual(calls.at(-1)?.args, { text: 'hi' });
    });

    it('sends progress on the call, before its result', async () => {
      const client = await connectModern(mock.url);
      const seen: number[] = [];
      const result = await client.callTool({ name: 'progress', arguments: { steps: 3, intervalMs: 5 } }, { onprogress: (p) => seen.push(p.progress) });
      assert.equal(textOf(result), 'done');
      assert.deepEqual(seen, [1, 2, 3]);
    });

    it('asks the client for sampling, elicitation and roots through input_required results (MRTR)', async () => {
      const asked: string[] = [];
      const client = await connectModern(mock.url, {
        capabilities: { sampling: {}, elicitation: { form: {} }, roots: {} },
        setup: (c) => {
          c.setRequestHandler('sampling/createMessage', async () => {
            asked.push('sampling');
            return { model: 'm', role: 'assistant', content: { type: 'text', text: 'a sampled answer' } };
          });
          c.setRequestHandler('elicitation/create', async () => {
            asked.push('elicitation');
            return { action: 'accept', content: { answer: 'yes' } };
          });
          c.setRequestHandler('roots/list', async () => {
            asked.push('roots');
            return { roots: [{ uri: 'file:///work', name: 'work' }] };
          });
        },
      });
      assert.equal(textOf(await client.callTool({ name: 'sample', arguments: { prompt: 'p' } })), 'a sampled answer');
      assert.deepEqual(JSON.parse(textOf(await client.callTool({ name: 'elicit', arguments: { message: 'ok?' } }))), { action: 'accept', content: { answer: 'yes' } });
      assert.deepEqual(JSON.parse(textOf(await client.callTool({ name: 'roots' }))).roots, [{ uri: 'file:///work', name: 'work' }]);
      assert.deepEqual(asked, ['sampling', 'elicitation', 'roots']);
      // The retried rounds are the same calls: each is recorded once.
      assert.equal(mock.calls().filter((c) => c.tool === 'sample').length, 1);
    });

    it('announces list changes on the listen stream', { timeout: 5000 }, async () => {
      const client = await connectModern(mock.url);
      const changed = new Promise<void>((resolve) => client.setNotificationHandler('notifications/tools/list_changed', () => resolve()));
      const subscription = await client.listen({ toolsListChanged: true });
      assert.equal(subscription.honoredFilter.toolsListChanged, true);
      mock.addTool({ name: 'added' });
      await changed;
      assert.ok((await client.listTools()).tools.some((t) => t.name === 'added'));
      mock.removeTool('added');
      await subscription.close();
    });
  });
}

describe('mock MCP server eras to a 2025-11-25 client', () => {
  it('a modern-only server refuses initialize with HTTP 400 and -32022, as real 2026-only servers do', async () => {
    const mock = await startMockMcpServer(spec, { transport: 'streamable-http', era: 'modern' });
    try {
      const response = await fetch(mock.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'old', version: '1' } } }),
      });
      assert.equal(response.status, 400);
      const body = (await response.json()) as { error?: { code?: number } };
      assert.equal(body.error?.code, -32022);
      await assert.rejects(connect('streamable-http', mock.url));
    } finally {
      await mock.stop();
    }
  });

  it('a dual-era server gives a 2025 client a session with server-to-client requests', async () => {
    const mock = await startMockMcpServer(spec, { transport: 'streamable-http', era: 'both' });
    try {
      const client = await connect('streamable-http', mock.url, {
        capabilities: { sampling: {} },
        setup: (c) => c.setRequestHandler(CreateMessageRequestSchema, async () => ({ model: 'm', role: 'assistant', content: { type: 'text', text: 'legacy sampled' } })),
      });
      assert.equal(mock.sessions(), 1);
      assert.equal(textOf(await client.callTool({ name: 'sample', arguments: { prompt: 'p' } })), 'legacy sampled');
      assert.equal(mock.discoverProbes(), 0);
    } finally {
      await mock.stop();
    }
  });

  it('a legacy server is found legacy by a 2026 client that probes', async () => {
    const mock = await startMockMcpServer(spec, { transport: 'streamable-http' });
    try {
      const client = await connectModern(mock.url);
      assert.equal(client.getProtocolEra(), 'legacy');
      assert.equal(client.getDiscoverResult(), undefined);
    } finally {
      await mock.stop();
    }
  });

  it('legacy HTTP+SSE has no 2026 era', async () => {
    await assert.rejects(startMockMcpServer(spec, { transport: 'sse', era: 'modern' }), /2025 era only/);
  });
});

describe('mock MCP server over stdio in the 2026 era', () => {
  it('serves a 2026 client and refuses a 2025 one when modern-only', async () => {
    const { command, args } = stdioCommand({ name: 'local', tools: [{ name: 'echo' }] }, { era: 'modern' });
    const client = new ModernClient({ name: 'mock-mcp-test', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new ModernStdioTransport({ command, args, stderr: 'inherit' }));
    modernClients.push(client);
    assert.equal(client.getProtocolEra(), 'modern');
    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'over stdio' } })), 'over stdio');

    const old = new Client({ name: 'mock-mcp-test', version: '1.0.0' });
    clients.push(old);
    await assert.rejects(old.connect(new StdioClientTransport({ command, args, stderr: 'ignore' })));
  });
});
