import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { parseConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log/index.js';
import { serveHttp, type RunningHttp } from '../../src/switchboard.js';
import { startMockMcpServer, type MockMcpServer } from '../../mock-servers/mcp/index.js';
import { fuzzParameters, RUNS } from './runs.js';

/**
 * The JSON-RPC HTTP front of a real switchboard on loopback, in front of a real mock upstream, gets random requests:
 * random methods, paths, headers and bodies (JSON-RPC-shaped or not), with and without a live session. Whatever
 * comes in, the process stays up, no answer is a 5xx, every request is answered, and a 2xx answer to a POST on /mcp
 * carries JSON-RPC messages (or nothing, 202).
 */

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

const agent = new Agent({ keepAlive: true, maxSockets: 4 });
let upstream: MockMcpServer;
let switchboard: RunningHttp;
let origin: URL;
let session: string | undefined;

function send(method: string, path: string, headers: Record<string, string>, body: string | undefined, retried = false): Promise<Answer> {
  // Node's client frames a DELETE or OPTIONS body with neither Content-Length nor chunked encoding, so the server
  // would read the body as the start of the next request on the connection; the length is always given.
  const framed = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
  return new Promise((resolve, reject) => {
    const req = request({ host: origin.hostname, port: origin.port, method, path, headers: framed, agent, setHost: !('host' in headers) }, (res) => {
      const answer = (text: string) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
      // A GET stream stays open by design: its status is the answer.
      if (method === 'GET' && String(res.headers['content-type']).startsWith('text/event-stream')) {
        res.destroy();
        return answer('');
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => answer(text));
      res.on('error', reject);
    });
    req.setTimeout(15_000, () => req.destroy(new Error(`no answer within 15 s to ${method} ${path}`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed after its last answer (e.g. one that left a body unread) fails the
      // next request sent on it before any byte arrives; Node's documented remedy is to send it again.
      if (req.reusedSocket && error.code === 'ECONNRESET' && !retried) send(method, path, headers, body, true).then(resolve, reject);
      else reject(error);
    });
    req.end(body);
  });
}

const INITIALIZE = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } } };
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

async function openSession(): Promise<string> {
  const answer = await send('POST', '/mcp', JSON_HEADERS, JSON.stringify(INITIALIZE));
  const id = answer.headers['mcp-session-id'];
  assert.equal(typeof id, 'string', `initialize failed: ${answer.status} ${answer.body}`);
  await send('POST', '/mcp', { ...JSON_HEADERS, 'mcp-session-id': id as string }, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  return id as string;
}

/** Every JSON-RPC message in a 2xx body: a JSON body, or the data lines of an SSE body. */
function messages(answer: Answer): unknown[] {
  const type = String(answer.headers['content-type'] ?? '');
  if (type.startsWith('text/event-stream')) {
    return answer.body.split('\n').filter((line) => line.startsWith('data:') && line.slice(5).trim()).map((line) => JSON.parse(line.slice(5)) as unknown);
  }
  const parsed = JSON.parse(answer.body) as unknown;
  return Array.isArray(parsed) ? parsed : [parsed];
}

function isJsonRpcMessage(message: unknown): boolean {
  if (message === null || typeof message !== 'object') return false;
  const m = message as Record<string, unknown>;
  return m.jsonrpc === '2.0' && ('result' in m || 'error' in m || typeof m.method === 'string');
}

// Header values node's client accepts (visible ASCII and spaces); the names are the ones switchboard reads.
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const METHODS = ['initialize', 'tools/list', 'tools/call', 'prompts/list', 'prompts/get', 'resources/list', 'resources/read', 'resources/templates/list', 'resources/subscribe', 'ping', 'logging/setLevel', 'completion/complete', 'notifications/initialized', 'notifications/cancelled', 'server/discover', 'subscriptions/listen', 'nope'];
const id = fc.oneof(fc.integer(), fc.string({ maxLength: 6 }), fc.constant(null), fc.anything({ maxDepth: 1 }));
const toolsCallParams = fc.record({
  name: fc.oneof(fc.constantFrom('weather_echo', 'weather_nope', 'switchboard_sign_out', 'authenticate_weather'), fc.string({ maxLength: 10 }), fc.integer()),
  arguments: fc.oneof(fc.record({ text: fc.string({ maxLength: 20 }) }), fc.string(), fc.array(fc.anything({ maxDepth: 1 }), { maxLength: 3 }), fc.anything({ maxDepth: 2 })),
  _meta: fc.option(fc.record({ progressToken: fc.oneof(fc.integer(), fc.string({ maxLength: 5 })) }), { nil: undefined }),
}, { requiredKeys: [] });
/** Mostly well-formed requests and notifications (so that they reach the method handlers), with odd parts now and then. */
const jsonRpc = fc.record({
  jsonrpc: fc.oneof({ weight: 9, arbitrary: fc.constant<unknown>('2.0') }, { weight: 1, arbitrary: fc.constantFrom<unknown>('1.0', 2, null) }),
  id: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 1000 }) }, { weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: id }),
  method: fc.oneof({ weight: 9, arbitrary: fc.constantFrom<unknown>(...METHODS) }, { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 10 }), fc.integer()) }),
  params: fc.oneof(toolsCallParams, fc.record({ uri: fc.oneof(fc.constantFrom('weather+mock://x', 'file:///etc/passwd'), fc.string({ maxLength: 10 })) }), fc.constant(undefined), fc.anything({ maxDepth: 2 })),
  result: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) }),
}).map((m) => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)));
const body = fc.oneof(
  { weight: 4, arbitrary: jsonRpc.map((m) => JSON.stringify(m)) },
  { weight: 1, arbitrary: fc.array(jsonRpc, { maxLength: 4 }).map((batch) => JSON.stringify(batch)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '{', '[]', '[{}]', 'null', '42', '"str"', 'true', '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"weather_echo","arguments":"x"}}') },
);
/** Usually `usual` (so that requests get past the first checks and reach the JSON-RPC handling), sometimes another value. */
const mostly = <T>(usual: T, other: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: other });
const requestShape = fc.record({
  method: fc.oneof({ weight: 6, arbitrary: fc.constant('POST') }, { weight: 3, arbitrary: fc.constantFrom('GET', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD') }),
  path: fc.oneof({ weight: 6, arbitrary: fc.constant('/mcp') }, { weight: 2, arbitrary: fc.constantFrom('/mcp/', '/mcp?x=1', '/', '/oauth/callback', '/oauth/callback?state=x&code=y', '/oauth/callback?error=access_denied&state=z', '/oauth/client-metadata.json', '/healthz', '/metrics', '/mcp/../mcp', '/%zz') }, { weight: 1, arbitrary: headerText.map((p) => `/${encodeURI(p)}`) }),
  contentType: mostly<string | undefined>('application/json', fc.oneof(fc.constantFrom(undefined, 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/vnd.x+json', 'application/json; charset=latin1'), headerText)),
  accept: mostly<string | undefined>('application/json, text/event-stream', fc.oneof(fc.constantFrom(undefined, 'application/json', 'text/event-stream', '*/*'), headerText)),
  session: fc.oneof({ weight: 4, arbitrary: fc.constant('live') }, { weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: headerText }),
  protocolVersion: mostly<string | undefined>(undefined, fc.oneof(fc.constantFrom('2025-11-25', '2025-06-18', '2026-07-28'), headerText)),
  origin: mostly<string | undefined>(undefined, fc.oneof(fc.constantFrom('http://evil.example', 'null'), headerText)),
  host: mostly<string | undefined>(undefined, fc.oneof(fc.constantFrom('evil.example', 'localhost', '[::1]'), headerText)),
  body: fc.option(body, { nil: undefined, freq: 10 }),
});

describe('JSON-RPC HTTP front (fuzz)', () => {
  before(async () => {
    upstream = await startMockMcpServer({ name: 'weather', tools: [{ name: 'echo' }] }, { transport: 'streamable-http', recordCalls: false });
    const config = parseConfig({ mcpServers: { weather: { url: upstream.url } }, http: { port: 0 } }, 'fuzz config');
    switchboard = await serveHttp(config, createLogger({ level: 'silent', pretty: false }));
    origin = new URL(switchboard.url);
    session = await openSession();
  });
  after(async () => {
    agent.destroy();
    await switchboard?.close();
    await upstream?.stop();
  });

  it(`answers ${RUNS} random requests without a 5xx, and 2xx answers to /mcp POSTs are JSON-RPC`, async () => {
    await fc.assert(fc.asyncProperty(requestShape, async (shape) => {
      // A fuzzed DELETE may have ended the live session; the next case gets a new one.
      session ??= await openSession();
      const headers: Record<string, string> = {};
      if (shape.contentType !== undefined) headers['content-type'] = shape.contentType;
      if (shape.accept !== undefined) headers.accept = shape.accept;
      const sessionId = shape.session === 'live' ? session : shape.session;
      if (sessionId !== undefined) headers['mcp-session-id'] = sessionId;
      if (shape.protocolVersion !== undefined) headers['mcp-protocol-version'] = shape.protocolVersion;
      if (shape.origin !== undefined) headers.origin = shape.origin;
      if (shape.host !== undefined) headers.host = shape.host;
      const hasBody = shape.body !== undefined && !['GET', 'HEAD'].includes(shape.method);
      const answer = await send(shape.method, shape.path, headers, hasBody ? shape.body : undefined);
      const context = `${shape.method} ${shape.path} ${JSON.stringify(headers)} ${hasBody ? shape.body : ''} -> ${answer.status} ${answer.body.slice(0, 300)}`;

      assert.ok(answer.status >= 200 && answer.status < 500, `a ${answer.status}: ${context}`);
      if (shape.method === 'POST' && shape.path === '/mcp' && answer.status < 300 && answer.status !== 202) {
        let parsed: unknown[];
        try {
          parsed = messages(answer);
        } catch {
          assert.fail(`a ${answer.status} whose body is not JSON-RPC: ${context}`);
        }
        assert.ok(parsed.length > 0 && parsed.every(isJsonRpcMessage), `a ${answer.status} whose body is not JSON-RPC: ${context}`);
      }
      if (shape.method === 'DELETE' && sessionId === session && answer.status < 300) session = undefined;
      // Sessions the fuzzer opened by accident are ended, so they do not pile up.
      const opened = answer.headers['mcp-session-id'];
      if (typeof opened === 'string' && opened !== session) await send('DELETE', '/mcp', { 'mcp-session-id': opened }, undefined);
    }), fuzzParameters());
  });
});
