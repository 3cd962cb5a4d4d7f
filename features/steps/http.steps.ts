import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Given, Then, When } from '@cucumber/cucumber';
import { allowBrowserOrigin, initializeBody, jsonRpcOf, MCP_POST_HEADERS, type HttpRequestInit } from '../support/http.js';
import type { SwitchboardWorld } from '../support/world.js';
import { eventually } from '../support/wait.js';

const MiB = 1024 * 1024;

function httpConfig(world: SwitchboardWorld): Record<string, unknown> {
  world.config.http ??= {};
  return world.config.http as Record<string, unknown>;
}

Given('browser pages from {string} may use switchboard', function (this: SwitchboardWorld, origin: string) {
  allowBrowserOrigin(this.config, origin);
});

Given('switchboard listens on all interfaces', function (this: SwitchboardWorld) {
  httpConfig(this).host = '0.0.0.0';
});

Given('switchboard is published at {string}', function (this: SwitchboardWorld, publicUrl: string) {
  this.config.publicUrl = publicUrl;
});

Given('sessions expire after {int} ms without requests', function (this: SwitchboardWorld, idleTimeoutMs: number) {
  this.config.sessions = { ...(this.config.sessions as object | undefined), idleTimeoutMs };
});

/** An initialize request, as a browser page or a client would send it with these headers. */
async function openSession(world: SwitchboardWorld, headers: Record<string, string> = {}): Promise<void> {
  await world.sendToSwitchboard('/mcp', { method: 'POST', headers: { ...MCP_POST_HEADERS, ...headers }, body: initializeBody() });
}

When('a web page from {string} opens a session', async function (this: SwitchboardWorld, origin: string) {
  await openSession(this, { origin });
});

When("a web page from switchboard's own origin opens a session", async function (this: SwitchboardWorld) {
  await openSession(this, { origin: new URL(this.url).origin });
});

When('a client that sends no origin opens a session', async function (this: SwitchboardWorld) {
  await openSession(this);
});

/** DNS rebinding: the attacker's name now resolves to switchboard's address, so the browser sends that name as Host. */
When('a web page from {string} opens a session through a name that resolves to switchboard', async function (this: SwitchboardWorld, origin: string) {
  const port = new URL(this.url).port;
  await openSession(this, { origin: `${origin}:${port}`, host: `${new URL(origin).hostname}:${port}` });
});

Then('it is refused as forbidden', function (this: SwitchboardWorld) {
  assert.equal(this.lastAnswer?.status, 403, `answered ${this.lastAnswer?.status}: ${this.lastAnswer?.text}`);
});

Then('the session opens', function (this: SwitchboardWorld) {
  assert.equal(this.lastAnswer?.status, 200, `answered ${this.lastAnswer?.status}: ${this.lastAnswer?.text}`);
  assert.ok(this.lastAnswer.headers['mcp-session-id'], 'no Mcp-Session-Id in the answer');
  assert.ok(jsonRpcOf(this.lastAnswer).result, `no initialize result: ${this.lastAnswer.text}`);
});

When('the client calls {string} with {int} MiB of data', async function (this: SwitchboardWorld, tool: string, size: number) {
  await this.client().call(tool, { data: 'x'.repeat(size * MiB) });
});

When('the client sends a request of {int} MiB', async function (this: SwitchboardWorld, size: number) {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/call', params: { name: 'weather_echo_size', arguments: { data: 'x'.repeat(size * MiB) } } });
  await this.sendToSwitchboard('/mcp', { method: 'POST', headers: { ...MCP_POST_HEADERS, 'mcp-session-id': this.client().sessionId! }, body });
});

Then('it is refused as too large, with a JSON-RPC error', function (this: SwitchboardWorld) {
  assert.equal(this.lastAnswer?.status, 413, `answered ${this.lastAnswer?.status}: ${this.lastAnswer?.text.slice(0, 200)}`);
  const message = jsonRpcOf(this.lastAnswer);
  assert.equal(message.error?.code, -32600, `not a JSON-RPC "invalid request" error: ${this.lastAnswer.text}`);
});

/** The three HTTP requests of a session (MCP 2025-11-25 basic/transports): a message, the GET stream, the DELETE. */
const SESSION_REQUESTS: Record<string, (sessionId: string) => HttpRequestInit> = {
  message: (sessionId) => ({ method: 'POST', headers: { ...MCP_POST_HEADERS, 'mcp-session-id': sessionId }, body: toolsListBody() }),
  'notification stream': (sessionId) => ({ method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId } }),
  'request to end a session': (sessionId) => ({ method: 'DELETE', headers: { 'mcp-session-id': sessionId } }),
};

When(/^a (message|notification stream|request to end a session) arrives for a session that does not exist$/, async function (this: SwitchboardWorld, kind: string) {
  await this.sendToSwitchboard('/mcp', SESSION_REQUESTS[kind]!(randomUUID()));
});

/** A hand-made POST in the default client's session. */
async function sendInSession(world: SwitchboardWorld, body: string, headers: Record<string, string> = {}): Promise<void> {
  await world.sendToSwitchboard('/mcp', { method: 'POST', headers: { ...MCP_POST_HEADERS, 'mcp-session-id': world.client().sessionId!, ...headers }, body });
}

When('the client sends {word} in place of a message', async function (this: SwitchboardWorld, json: string) {
  await sendInSession(this, json);
});

When('the client sends an empty batch of messages', async function (this: SwitchboardWorld) {
  await sendInSession(this, '[]');
});

When('the client sends text that is not JSON', async function (this: SwitchboardWorld) {
  await sendInSession(this, '{"jsonrpc": "2.0", "id": 3, "method": "tools/list"');
});

When('a client opens a session with a body declared as plain text', async function (this: SwitchboardWorld) {
  await openSession(this, { 'content-type': 'text/plain' });
});

When('the client sends a message declared as plain text', async function (this: SwitchboardWorld) {
  await sendInSession(this, toolsListBody(), { 'content-type': 'text/plain' });
});

When('the client sends a message accepting only HTML', async function (this: SwitchboardWorld) {
  await sendInSession(this, toolsListBody(), { accept: 'text/html' });
});

/** Upstream call counts taken when a scenario's malformed call was sent. */
const callCountsBefore = new WeakMap<SwitchboardWorld, ReadonlyMap<string, number>>();

const TOOL_CALL_MISTAKES: Record<string, Record<string, unknown>> = {
  'no name': { arguments: { text: 'hi' } },
  'a number as its name': { name: 123, arguments: { text: 'hi' } },
  'arguments given as text': { name: 'weather_echo', arguments: 'text=hi' },
  'arguments given as array': { name: 'weather_echo', arguments: ['hi'] },
};

When(/^the client calls a tool with (no name|a number as its name|arguments given as text|arguments given as array)$/, async function (this: SwitchboardWorld, mistake: string) {
  callCountsBefore.set(this, this.upstreamCallCounts());
  await sendInSession(this, JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: TOOL_CALL_MISTAKES[mistake] }));
});

/** The answer's JSON-RPC error: one error object (never a batch of them), with the expected HTTP status and code. */
function refusal(world: SwitchboardWorld, status: number, code: number): { code: number; message: string } {
  const answer = world.lastAnswer;
  assert.equal(answer?.status, status, `answered ${answer?.status}: ${answer?.text}`);
  const message = JSON.parse(answer.text) as { jsonrpc?: string; error?: { code: number; message: string } };
  assert.ok(!Array.isArray(message), `answered a batch: ${answer.text}`);
  assert.equal(message.jsonrpc, '2.0', `not a JSON-RPC answer: ${answer.text}`);
  assert.equal(message.error?.code, code, `answered ${answer.text}`);
  return message.error;
}

// JSON-RPC 2.0 section 5.1: -32600 Invalid Request, -32700 Parse error, -32602 Invalid params.
Then('it is refused as an invalid request', function (this: SwitchboardWorld) {
  refusal(this, 400, -32600);
});

Then('it is refused as unreadable', function (this: SwitchboardWorld) {
  refusal(this, 400, -32700);
});

Then('it is refused as an unsupported media type', function (this: SwitchboardWorld) {
  refusal(this, 415, -32000);
});

Then('it is refused as not acceptable', function (this: SwitchboardWorld) {
  refusal(this, 406, -32000);
});

Then('it is refused as invalid params, with a short message', function (this: SwitchboardWorld) {
  const error = refusal(this, 200, -32602);
  assert.ok(error.message.length <= 120 && !error.message.includes('{'), `not a short message: ${error.message}`);
  assert.equal(JSON.parse(this.lastAnswer!.text).id, 7, 'the error does not answer the call');
});

Then('the upstream {string} received no call', function (this: SwitchboardWorld, server: string) {
  assert.deepEqual(this.upstreamCallsSince(callCountsBefore.get(this)!).filter((call) => call.startsWith(`${server}/`)), []);
});

Then('a request in the client\'s session is answered "not found"', async function (this: SwitchboardWorld) {
  const id = this.client().openedSessionId;
  assert.ok(id, 'the client never had a session id');
  await this.sendToSwitchboard('/mcp', { method: 'POST', headers: { ...MCP_POST_HEADERS, 'mcp-session-id': id }, body: toolsListBody() });
  assertNotFound(this);
});

Then('it is answered "not found"', function (this: SwitchboardWorld) {
  assertNotFound(this);
});

/** MCP 2025-11-25 basic/transports#session-management: a request for an unknown or ended session gets 404. */
function assertNotFound(world: SwitchboardWorld): void {
  assert.equal(world.lastAnswer?.status, 404, `answered ${world.lastAnswer?.status}: ${world.lastAnswer?.text}`);
}

function toolsListBody(): string {
  return JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
}

When('{client} ends its session', async function (this: SwitchboardWorld, client: string) {
  await this.client(client).endSession();
});

Then('switchboard holds {int} open session(s)', async function (this: SwitchboardWorld, count: number) {
  assert.equal((await this.readiness()).sessions, count);
});

Then('switchboard soon holds {int} open session(s)', async function (this: SwitchboardWorld, count: number) {
  await eventually(async () => (await this.readiness()).sessions === count, `${count} open sessions`);
});

When('the client calls {string} every {int} ms for {int} seconds', async function (this: SwitchboardWorld, tool: string, intervalMs: number, seconds: number) {
  const client = this.client();
  const end = Date.now() + seconds * 1000;
  this.repeatedCallOutcomes = [];
  while (Date.now() < end) {
    await client.call(tool, { text: 'ping' });
    this.repeatedCallOutcomes.push(client.lastResult && !client.lastResult.isError ? 'ok' : client.lastError?.message ?? client.resultText());
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
});

Then('every one of those calls succeeded', function (this: SwitchboardWorld) {
  assert.ok(this.repeatedCallOutcomes?.length, 'no calls were made');
  assert.deepEqual(this.repeatedCallOutcomes.filter((outcome) => outcome !== 'ok'), []);
});

Then('switchboard reports that it is alive', async function (this: SwitchboardWorld) {
  const answer = await this.sendToSwitchboard('/healthz');
  assert.equal(answer.status, 200);
  assert.deepEqual(JSON.parse(answer.text), { status: 'ok' });
});

Given('the upstream {string} has a tool {string} that always fails', function (this: SwitchboardWorld, name: string, tool: string) {
  this.mock(name).addTool({ name: tool, fail: true });
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text exposition format, as much of it as these checks need. */
async function metricSamples(world: SwitchboardWorld): Promise<Sample[]> {
  const answer = await world.sendToSwitchboard('/metrics');
  assert.equal(answer.status, 200);
  return answer.text.split('\n').flatMap((line) => {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) return [];
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    return [{ name: match[1]!, labels, value: Number(match[3]) }];
  });
}

function total(samples: Sample[], name: string, filter: (labels: Record<string, string>) => boolean): number {
  return samples.filter((s) => s.name === name && filter(s.labels)).reduce((sum, s) => sum + s.value, 0);
}

Then('the metrics count {int} successful call(s) to {string}', async function (this: SwitchboardWorld, count: number, server: string) {
  const samples = await metricSamples(this);
  assert.equal(total(samples, 'switchboard_upstream_requests_total', (l) => l.server === server && l.method === 'tools/call' && l.outcome === 'ok'), count);
});

Then('the metrics count {int} failed call(s) to {string}', async function (this: SwitchboardWorld, count: number, server: string) {
  const samples = await metricSamples(this);
  assert.equal(total(samples, 'switchboard_upstream_requests_total', (l) => l.server === server && l.method === 'tools/call' && l.outcome !== 'ok'), count);
});

Then('the metrics record the latency of {int} call(s) to {string}', async function (this: SwitchboardWorld, count: number, server: string) {
  const samples = await metricSamples(this);
  assert.equal(total(samples, 'switchboard_upstream_request_duration_seconds_count', (l) => l.server === server && l.method === 'tools/call'), count);
});

// Each server's shared connection opens when switchboard starts (GET /readyz reports it); sessions use it.

Then('the server {string} holds {int} session(s)', function (this: SwitchboardWorld, server: string, count: number) {
  assert.equal(this.mock(server).sessions(), count);
});

Then('the server {string} soon holds {int} session(s)', async function (this: SwitchboardWorld, server: string, count: number) {
  // MCP 2025-11-25 basic/transports#session-management: a connection that closes ends its upstream session (DELETE).
  await eventually(() => this.mock(server).sessions() === count, `${count} sessions on "${server}" (${this.mock(server).sessions()} open)`);
});

Then(/^the server "([^"]+)" (?:still )?runs (\d+) process(?:es)?$/, function (this: SwitchboardWorld, server: string, count: string) {
  assert.equal(stdioProcesses(server).length, Number(count), `processes of "${server}": ${stdioProcesses(server).join(', ')}`);
});

Then('the server {string} soon runs {int} process(es)', async function (this: SwitchboardWorld, server: string, count: number) {
  await eventually(() => stdioProcesses(server).length === count, `${count} processes of "${server}" (pids ${stdioProcesses(server).join(', ')})`);
});

Then('the metrics count {int} upstream connection(s)', async function (this: SwitchboardWorld, count: number) {
  await eventually(async () => total(await metricSamples(this), 'switchboard_upstream_connections', () => true) === count, `${count} upstream connections in the metrics`);
});

/**
 * Pids of the mock stdio servers named `server` that this process started (switchboard runs in it): read from the
 * process table, so a process that outlives its session is seen whatever switchboard thinks of it.
 */
function stdioProcesses(server: string): number[] {
  const marker = `"name":"${server}"`;
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).flatMap((entry) => {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent !== process.pid || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return [];
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      return command.includes('stdio.ts') && command.includes(marker) ? [Number(entry)] : [];
    } catch {
      return [];
    }
  });
}
