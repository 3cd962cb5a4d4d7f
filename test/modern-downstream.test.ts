import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { after, before, describe, it } from 'node:test';
import { startMockMcpServer, type MockMcpServer } from '../mock-servers/mcp/index.js';
import { parseConfig } from '../src/config/index.js';
import { createLogger } from '../src/log/index.js';
import { serveHttp, type RunningHttp } from '../src/switchboard.js';

const MODERN = '2026-07-28';
const SAMPLING = { sampling: {} };

/** One 2026-07-28 request by hand, as the spec lays it out: headers and the per-request `_meta` envelope. */
async function modernRequest(url: string, method: string, params: Record<string, unknown>, capabilities: object = {}): Promise<{ status: number; message: Record<string, unknown> }> {
  const name = typeof params.name === 'string' ? params.name : undefined;
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': method,
      ...(name ? { 'mcp-name': name } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method,
      params: {
        ...params,
        _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': capabilities },
      },
    }),
  });
  const text = await response.text();
  // A JSON body, or an SSE stream whose last data line is the response.
  const json = response.headers.get('content-type')?.includes('text/event-stream')
    ? text.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5)).pop() ?? '{}'
    : text;
  return { status: response.status, message: JSON.parse(json) as Record<string, unknown> };
}

/** The SDK's answer when the requestState verify hook refuses a state, before any handler runs. */
function assertRefusedState(message: Record<string, unknown>): void {
  const error = message.error as { code: number; data?: { reason?: string } } | undefined;
  assert.equal(error?.code, -32602, JSON.stringify(message));
  assert.equal(error?.data?.reason, 'invalid_request_state', JSON.stringify(message));
}

interface InputRequired {
  resultType: string;
  inputRequests: Record<string, { method: string; params: Record<string, unknown> }>;
  requestState: string;
}

describe('modern (2026-07-28) requests: input rounds', () => {
  let upstream: MockMcpServer;
  let switchboard: RunningHttp;

  before(async () => {
    upstream = await startMockMcpServer({ name: 'weather', tools: [{ name: 'sample' }, { name: 'echo' }] }, { transport: 'streamable-http' });
    const config = parseConfig({ mcpServers: { weather: { url: upstream.url } }, http: { port: 0 } }, 'test config');
    switchboard = await serveHttp(config, createLogger({ level: 'silent', pretty: false }));
  });

  after(async () => {
    await switchboard.close();
    await upstream.stop();
  });

  async function firstRound(): Promise<InputRequired> {
    const { message } = await modernRequest(switchboard.url, 'tools/call', { name: 'weather_sample', arguments: { prompt: 'sky?' } }, SAMPLING);
    const result = message.result as InputRequired;
    assert.equal(result.resultType, 'input_required', JSON.stringify(message));
    return result;
  }

  it('relays an upstream sampling request as an input request, and the retry\'s answer back to the upstream', async () => {
    const round = await firstRound();
    const [key, request] = Object.entries(round.inputRequests)[0]!;
    assert.equal(request.method, 'sampling/createMessage');
    const answer = { role: 'assistant', model: 'm', content: { type: 'text', text: 'blue' } };
    const { message } = await modernRequest(switchboard.url, 'tools/call', {
      name: 'weather_sample', arguments: { prompt: 'sky?' }, requestState: round.requestState, inputResponses: { [key]: answer },
    }, SAMPLING);
    const result = message.result as { content: { text: string }[] };
    assert.equal(result.content[0]?.text, 'blue', JSON.stringify(message));
  });

  it('refuses a request state the client altered (basic/patterns/mrtr: integrity-protected state)', async () => {
    const round = await firstRound();
    const tampered = round.requestState.slice(0, -2) + (round.requestState.endsWith('AA') ? 'BB' : 'AA');
    const { message } = await modernRequest(switchboard.url, 'tools/call', {
      name: 'weather_sample', arguments: { prompt: 'sky?' }, requestState: tampered, inputResponses: {},
    }, SAMPLING);
    assertRefusedState(message);
    // The call itself is intact: the genuine state still completes it.
    const [key] = Object.keys(round.inputRequests);
    const answer = { role: 'assistant', model: 'm', content: { type: 'text', text: 'still blue' } };
    const retried = await modernRequest(switchboard.url, 'tools/call', {
      name: 'weather_sample', arguments: { prompt: 'sky?' }, requestState: round.requestState, inputResponses: { [key!]: answer },
    }, SAMPLING);
    assert.equal((retried.message.result as { content: { text: string }[] }).content[0]?.text, 'still blue', JSON.stringify(retried.message));
  });

  it('refuses a request state it never minted', async () => {
    const { message } = await modernRequest(switchboard.url, 'tools/call', {
      name: 'weather_sample', arguments: {}, requestState: 'v1.forged', inputResponses: {},
    }, SAMPLING);
    assertRefusedState(message);
  });

  it('answers -32021 naming sampling when the client cannot sample, instead of asking it', async () => {
    // MCP 2026-07-28 basic/lifecycle: MissingRequiredClientCapabilityError, HTTP 400, requiredCapabilities an object.
    const { status, message } = await modernRequest(switchboard.url, 'tools/call', { name: 'weather_sample', arguments: { prompt: 'sky?' } });
    const error = message.error as { code: number; data?: { requiredCapabilities?: unknown } } | undefined;
    assert.equal(error?.code, -32021, JSON.stringify(message));
    assert.deepEqual(error?.data?.requiredCapabilities, { sampling: {} });
    assert.equal(status, 400);
  });

  it('answers a call nothing can interrupt as one JSON object, with what the SDK\'s handler answers', async () => {
    // A tool that asks nothing of the client (weather_sample, for a client that cannot sample, is -32021 on both paths).
    const call = { name: 'weather_echo', arguments: { text: 'sky' } };
    // A progress token sends the call through the SDK's handler (it may stream); without one, the direct path answers.
    const viaSdk = await modernRequest(switchboard.url, 'tools/call', { ...call, _meta: { progressToken: 'p1' } });
    const response = await fetch(switchboard.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': call.name },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { ...call, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} } } }),
    });
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.ok(response.headers.get('content-length'), 'a direct answer has its length');
    const direct = JSON.parse(await response.text()) as Record<string, unknown>;
    assert.deepEqual(direct, viaSdk.message);
    assert.deepEqual((direct.result as { _meta?: unknown })._meta, { 'io.modelcontextprotocol/serverInfo': { name: 'switchboard', version: '0.1.0' } });
  });

  it('answers server/discover with the aggregated capabilities', async () => {
    const { message } = await modernRequest(switchboard.url, 'server/discover', {});
    const result = message.result as { supportedVersions: string[]; capabilities: Record<string, unknown> };
    assert.ok(result.supportedVersions.includes(MODERN), JSON.stringify(message));
    assert.deepEqual(Object.keys(result.capabilities).sort(), ['completions', 'logging', 'prompts', 'resources', 'tools']);
  });
});

describe('modern (2026-07-28) clients over stdio', () => {
  it('are served without a handshake, as the local user', async () => {
    const upstream = await startMockMcpServer({ name: 'weather', tools: [{ name: 'echo' }] }, { transport: 'streamable-http' });
    const dir = await mkdtemp(join(tmpdir(), 'switchboard-stdio-'));
    const client = new Client({ name: 'test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
    try {
      const configFile = join(dir, 'config.json');
      await writeFile(configFile, JSON.stringify({ mcpServers: { weather: { url: upstream.url } }, http: { port: 0 }, log: { level: 'silent' } }));
      await client.connect(new StdioClientTransport({ command: process.execPath, args: ['bin/switchboard.js', 'serve', '--stdio', '--config', configFile], stderr: 'ignore' }));
      assert.equal(client.getProtocolEra(), 'modern');
      assert.deepEqual((await client.listTools()).tools.map((t) => t.name), ['weather_echo']);
      const result = await client.callTool({ name: 'weather_echo', arguments: { text: 'over stdio' } });
      assert.equal((result.content[0] as { text: string }).text, 'over stdio');
    } finally {
      await client.close();
      await upstream.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('modern (2026-07-28) clients over stdio: listen streams', () => {
  it('subscribe the upstream to the resources they name, and hear its updates', { timeout: 30_000 }, async () => {
    const everything = fileURLToPath(import.meta.resolve('@modelcontextprotocol/server-everything/dist/index.js'));
    const dir = await mkdtemp(join(tmpdir(), 'switchboard-stdio-'));
    const client = new Client({ name: 'test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
    let log = '';
    let switchboardPid: number | undefined;
    let upstreamPids: number[] = [];
    try {
      const configFile = join(dir, 'config.json');
      await writeFile(configFile, JSON.stringify({ mcpServers: { everything: { command: process.execPath, args: [everything, 'stdio'] } }, http: { port: 0 }, log: { level: 'info' } }));
      const transport = new StdioClientTransport({ command: process.execPath, args: ['bin/switchboard.js', 'serve', '--stdio', '--config', configFile], stderr: 'pipe' });
      transport.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
      await client.connect(transport);
      switchboardPid = transport.pid ?? undefined;
      const uri = 'everything+demo://resource/dynamic/text/1';
      const updated = new Promise<string>((resolve) => client.setNotificationHandler('notifications/resources/updated', (n) => resolve(n.params.uri)));
      const listening = await client.listen({ resourceSubscriptions: [uri] });
      // The reference server sends updates (every 5 s) only for the resources its client subscribed to.
      await client.callTool({ name: 'everything_toggle-subscriber-updates', arguments: {} });
      assert.equal(await updated, uri);
      await listening.close();
    } finally {
      upstreamPids = switchboardPid === undefined ? [] : childrenOf(switchboardPid);
      await client.close();
      await rm(dir, { recursive: true, force: true });
    }
    // MCP basic/lifecycle#stdio: the end of its input stops switchboard, which stops its own stdio upstreams first
    // (within its client's wait, so it is never signalled, let alone killed with the upstream left behind).
    assert.ok(upstreamPids.length > 0, 'the stdio upstream ran as a child of switchboard');
    assert.deepEqual(upstreamPids.filter(isAlive), [], 'the stdio upstream outlived switchboard');
    const stops = log.split('\n').filter((line) => line.includes('"msg":"stopping"'));
    assert.deepEqual(stops.map((line) => (JSON.parse(line) as { signal: string }).signal), ['stdin closed']);
  });
});

/** Linux: the processes a process started (proc(5), /proc/pid/task/tid/children). */
function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('modern (2026-07-28) listen streams', () => {
  it('hear the resource updates they asked for: auth://status when an upstream comes up', async () => {
    const upstream = await startMockMcpServer({ name: 'weather', tools: [{ name: 'echo' }] }, { transport: 'streamable-http' });
    await upstream.stop();
    const config = parseConfig({ mcpServers: { weather: { url: upstream.url } }, http: { port: 0 }, reconnect: { initialDelayMs: 50, maxDelayMs: 100 } }, 'test config');
    const switchboard = await serveHttp(config, createLogger({ level: 'silent', pretty: false }));
    const client = new Client({ name: 'test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(switchboard.url)));
      const updates: string[] = [];
      client.setNotificationHandler('notifications/resources/updated', (n) => void updates.push(n.params.uri));
      const listening = await client.listen({ resourceSubscriptions: ['auth://status'] });
      assert.deepEqual(listening.honoredFilter.resourceSubscriptions, ['auth://status']);
      await upstream.start();
      while (!(await client.listTools()).tools.length) await new Promise((resolve) => setTimeout(resolve, 50));
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok(updates.includes('auth://status'), `updates heard: ${JSON.stringify(updates)}`);
      await listening.close();
    } finally {
      await client.close();
      await switchboard.close();
      await upstream.stop();
    }
  });
});
