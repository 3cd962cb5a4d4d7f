import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { readCpu, type CpuProbe } from './cpu.js';

/** One call of the load: resolves true when the answer was right. */
export type Operation = () => Promise<boolean>;

export interface Segment {
  latenciesMs: number[];
  errors: number;
  seconds: number;
  /** Every call the segment started (they all ended, some after the deadline). */
  started: number;
  /** CPU milliseconds each probed process spent from the segment's start until its last call ended. */
  cpuMs?: Record<string, number>;
}

export interface Summary {
  calls: number;
  errors: number;
  seconds: number;
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU milliseconds per call, by process (all calls started, over all segments). */
  cpuMsPerCall?: Record<string, number>;
}

/**
 * The load generator's fetch. The SDK hands one AbortSignal to every request of a transport and undici adds a
 * listener to it per request (NOTES.md), which would slow this process down and fill its stderr with warnings
 * (the same for both targets, but noise). POSTs and DELETEs go without it (the bench never aborts a call); the GET
 * notification stream keeps it, so `close()` still ends that stream.
 */
const benchFetch = ((input: string | URL | Request, init?: RequestInit) =>
  fetch(input, init?.method === 'GET' ? init : { ...init, signal: undefined })) as typeof fetch;

/** Which MCP era a bench client speaks: 2025-11-25 with sessions, or the stateless 2026-07-28. */
export type BenchEra = 'legacy' | 'modern';

export const MODERN_PROTOCOL_VERSION = '2026-07-28';

export interface BenchSession {
  client: Client;
  transport: StreamableHTTPClientTransport;
}

/**
 * A 2026-07-28 client: there is no session to open, so it is the URL and a keep-alive connection of its own (one
 * call in flight, as one host would have). Its calls are bare HTTP POSTs over node:http, not SDK v2 `Client` calls
 * nor `fetch`: measured here at c16 against a modern mock, the generator spent about 0.3-0.9 ms of CPU per call
 * this way, 1.2-2.6 ms with `fetch` and 1.5-2.4 ms with the SDK v2 client, and it shares the 2 cores with the
 * processes it measures.
 */
export interface ModernBenchClient {
  era: 'modern';
  url: URL;
  agent: Agent;
}

export type BenchClient = ({ era: 'legacy' } & BenchSession) | ModernBenchClient;

/** An SDK client with its own MCP session, as a real MCP host would open one. */
export async function openSession(url: string): Promise<BenchSession> {
  const client = new Client({ name: 'switchboard-bench', version: '0.1.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), { fetch: benchFetch });
  await client.connect(transport);
  return { client, transport };
}

/** A client of either era: a legacy one opens its MCP session (`initialize`); a modern one has nothing to open. */
export async function openClient(url: string, era: BenchEra): Promise<BenchClient> {
  return era === 'modern' ? { era, url: new URL(url), agent: new Agent({ keepAlive: true, maxSockets: 1 }) } : { era, ...(await openSession(url)) };
}

/** Ends the session on the server too (HTTP DELETE), so the server frees it (switchboard: its upstream connections). */
export async function closeSession(session: BenchSession): Promise<void> {
  await session.transport.terminateSession().catch(() => {});
  await session.client.close().catch(() => {});
}

export async function closeClient(client: BenchClient): Promise<void> {
  if (client.era === 'legacy') await closeSession(client);
  else client.agent.destroy();
}

const isHello = (result: CallToolResult | undefined): boolean => {
  const first = result?.content?.[0];
  return result !== undefined && result.isError !== true && first?.type === 'text' && first.text === 'hello';
};

/** A `tools/call` of an echo tool with `{ text: 'hello' }`; true when the answer is that text. */
export function echoCall(client: BenchClient, tool: string): Operation {
  if (client.era === 'modern') return modernEchoCall(client, tool);
  const args = { text: 'hello' };
  return async () => isHello((await client.client.callTool({ name: tool, arguments: args })) as CallToolResult);
}

/**
 * A 2026-07-28 `tools/call` as a bare POST with what the revision requires of every request: the
 * `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers, and the protocol version and client capabilities
 * in `_meta` (basic/transports, basic/versioning). The body is the same for every call but its id.
 */
function modernEchoCall(client: ModernBenchClient, tool: string): Operation {
  const params = JSON.stringify({
    name: tool,
    arguments: { text: 'hello' },
    _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN_PROTOCOL_VERSION, 'io.modelcontextprotocol/clientCapabilities': {} },
  });
  const target = { host: client.url.hostname, port: client.url.port, path: client.url.pathname, method: 'POST', agent: client.agent };
  let id = 0;
  return () => new Promise<boolean>((resolve, reject) => {
    const body = `{"jsonrpc":"2.0","id":${++id},"method":"tools/call","params":${params}}`;
    const headers = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN_PROTOCOL_VERSION,
      'mcp-method': 'tools/call',
      'mcp-name': tool,
    };
    const req = request({ ...target, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('error', reject);
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 && isHello((JSON.parse(responseJson(text)) as { result?: CallToolResult }).result));
        } catch (error) {
          reject(error);
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Streamable HTTP answers a POST with JSON or with an SSE stream whose last data line is the JSON-RPC response. */
function responseJson(text: string): string {
  if (text.trimStart().startsWith('{')) return text;
  const data = text.split('\n').filter((line) => line.startsWith('data:'));
  return (data.at(-1) ?? '').slice('data:'.length);
}

const AnyResult = z.looseObject({});

/** tools/list through the SDK client with the client's full result validation (what an SDK-based host pays). */
export function sdkToolsList(session: BenchSession, expectedTools: number): Operation {
  return async () => (await session.client.listTools()).tools.length === expectedTools;
}

/** tools/list through the SDK client without result validation: transport, SSE parsing and JSON.parse only. */
export function looseToolsList(session: BenchSession): () => Promise<unknown[]> {
  return async () => {
    const result = await session.client.request({ method: 'tools/list', params: {} }, AnyResult);
    return Array.isArray(result.tools) ? result.tools : [];
  };
}

/**
 * tools/list as a bare HTTP POST on an SDK session: the time until the last byte of the answer arrived, without
 * the client's SSE parsing, JSON.parse or validation. What the server (switchboard or an upstream) costs, plus loopback.
 * Every answer must be as long as the first (the ids all have the same number of digits).
 */
export async function rawToolsList(url: string, session: BenchSession): Promise<{ operation: Operation; bytes: number; tools: number }> {
  const sessionId = session.transport.sessionId;
  const protocolVersion = session.transport.protocolVersion;
  if (!sessionId || !protocolVersion) throw new Error(`${url}: the session has no id or protocol version`);
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-session-id': sessionId,
    'mcp-protocol-version': protocolVersion,
  };
  let id = 1_000_000;
  const post = async () => {
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: id++, method: 'tools/list', params: {} }) });
    return { ok: response.ok, body: Buffer.from(await response.arrayBuffer()) };
  };
  const first = await post();
  if (!first.ok) throw new Error(`${url}: tools/list answered ${first.body.toString('utf8').slice(0, 200)}`);
  const tools = (JSON.parse(responseJson(first.body.toString('utf8'))) as { result?: { tools?: unknown[] } }).result?.tools?.length ?? 0;
  const bytes = first.body.byteLength;
  return {
    operation: async () => {
      const { ok, body } = await post();
      return ok && body.byteLength === bytes;
    },
    bytes,
    tools,
  };
}

/**
 * Runs one loop per operation (each keeps one call in flight) for `durationMs`. A call counts when it ended inside
 * the window; calls still in flight at the deadline finish but are not counted, so the throughput is calls ended
 * inside the window divided by its length. CPU time of the probed processes is read before the first call and after
 * the last one ended, and divided by all calls started. Bounded by time, whatever the operations do.
 */
export async function measure(operations: Operation[], durationMs: number, probe?: CpuProbe): Promise<Segment> {
  const latenciesMs: number[] = [];
  let errors = 0;
  let started = 0;
  const cpuBefore = probe && readCpu(probe);
  const deadline = performance.now() + durationMs;
  await Promise.all(operations.map(async (operation) => {
    while (performance.now() < deadline) {
      const callStarted = performance.now();
      started++;
      let ok: boolean;
      try {
        ok = await operation();
      } catch {
        ok = false;
      }
      const ended = performance.now();
      if (ended > deadline) break;
      if (ok) latenciesMs.push(ended - callStarted);
      else errors++;
    }
  }));
  const cpuAfter = probe && readCpu(probe);
  const cpuMs = cpuBefore && cpuAfter ? Object.fromEntries(Object.entries(cpuAfter).map(([name, ms]) => [name, ms - (cpuBefore[name] ?? 0)])) : undefined;
  return { latenciesMs, errors, seconds: durationMs / 1000, started, ...(cpuMs && { cpuMs }) };
}

export function summarize(segments: Segment[]): Summary {
  const sorted = Float64Array.from(segments.flatMap((s) => s.latenciesMs)).sort();
  const seconds = segments.reduce((sum, s) => sum + s.seconds, 0);
  const quantile = (q: number): number => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!);
  const started = segments.reduce((sum, s) => sum + s.started, 0);
  let cpuMsPerCall: Record<string, number> | undefined;
  if (started > 0 && segments.every((s) => s.cpuMs)) {
    cpuMsPerCall = {};
    for (const segment of segments) {
      for (const [name, ms] of Object.entries(segment.cpuMs!)) cpuMsPerCall[name] = (cpuMsPerCall[name] ?? 0) + ms / started;
    }
  }
  return {
    calls: sorted.length,
    errors: segments.reduce((sum, s) => sum + s.errors, 0),
    seconds,
    callsPerSecond: sorted.length / seconds,
    p50Ms: quantile(0.5),
    p99Ms: quantile(0.99),
    ...(cpuMsPerCall && { cpuMsPerCall }),
  };
}
