import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CallToolResultSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  type CallToolResult,
  type ElicitRequest,
  type LoggingMessageNotification,
  type Progress,
} from '@modelcontextprotocol/sdk/types.js';
import { startConformanceFixture, startModernConformanceFixture, type ConformanceFixture, type ModernConformanceFixture } from '../mock-servers/conformance/index.js';

// The fixture answers as the scenarios of @modelcontextprotocol/conformance 0.1.16 (server mode) expect. These tests
// call it directly, the way the suite's own client does, so a failure in `npm run conformance` that is not seen here
// lies in switchboard, not in the fixture.

/** The tools the active server scenarios call, by name. */
const SCENARIO_TOOLS = [
  'test_simple_text', 'test_image_content', 'test_audio_content', 'test_embedded_resource', 'test_multiple_content_types',
  'test_tool_with_logging', 'test_error_handling', 'test_tool_with_progress', 'test_sampling', 'test_elicitation',
  'test_elicitation_sep1034_defaults', 'test_elicitation_sep1330_enums',
];

let fixture: ConformanceFixture;
let client: Client;
const logs: LoggingMessageNotification['params'][] = [];
const elicitations: ElicitRequest['params'][] = [];
const samplingPrompts: unknown[] = [];

/** An initialize POST with the given Host and Origin, as the dns-rebinding-protection scenario sends (fetch would drop Host). */
function initializeWithHost(host: string): Promise<number> {
  const body = JSON.stringify({
    jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'dns-rebinding-test', version: '1.0.0' } },
  });
  return new Promise((resolve, reject) => {
    const req = request(fixture.url, {
      method: 'POST',
      headers: { host, origin: `http://${host}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end(body);
  });
}

async function call(name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

describe('conformance fixture', () => {
  before(async () => {
    fixture = await startConformanceFixture();
    // The suite's client declares sampling and elicitation and answers both.
    client = new Client({ name: 'conformance-fixture-test', version: '1.0.0' }, { capabilities: { sampling: {}, elicitation: {} } });
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => void logs.push(notification.params));
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      samplingPrompts.push(request.params.messages[0]?.content);
      return { role: 'assistant', content: { type: 'text', text: 'a test reply' }, model: 'test-model', stopReason: 'endTurn' };
    });
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      elicitations.push(request.params);
      return { action: 'accept', content: {} };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(fixture.url)));
  });

  after(async () => {
    await client.close();
    await fixture.close();
  });

  it('lists every scenario tool with a description and an input schema', async () => {
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    for (const name of SCENARIO_TOOLS) {
      const tool = byName.get(name);
      assert.ok(tool, `${name} is listed`);
      assert.ok(tool.description, `${name} has a description`);
      assert.equal(tool.inputSchema.type, 'object');
    }
  });

  it('returns the content types the tools-call-* scenarios look for', async () => {
    assert.deepEqual((await call('test_simple_text')).content, [{ type: 'text', text: 'This is a simple text response for testing.' }]);

    const [image] = (await call('test_image_content')).content;
    assert.equal(image?.type, 'image');
    assert.equal(image.mimeType, 'image/png');
    assert.deepEqual([...Buffer.from(image.data, 'base64').subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

    const [audio] = (await call('test_audio_content')).content;
    assert.equal(audio?.type, 'audio');
    assert.equal(audio.mimeType, 'audio/wav');
    const wav = Buffer.from(audio.data, 'base64');
    assert.equal(wav.subarray(0, 4).toString('ascii'), 'RIFF');
    assert.equal(wav.subarray(8, 12).toString('ascii'), 'WAVE');

    const mixed = (await call('test_multiple_content_types')).content.map((c) => c.type);
    assert.deepEqual(mixed, ['text', 'image', 'resource']);
  });

  it('reports a tool execution error as a result with isError, not as a JSON-RPC error', async () => {
    const result = await call('test_error_handling');
    assert.equal(result.isError, true);
    assert.deepEqual(result.content, [{ type: 'text', text: 'This tool intentionally returns an error for testing' }]);
  });

  it('reports progress 0, 50 and 100 of 100 for a request with a progress token', async () => {
    const progress: Progress[] = [];
    await client.request(
      { method: 'tools/call', params: { name: 'test_tool_with_progress', arguments: {}, _meta: { progressToken: 'progress-test-1' } } },
      CallToolResultSchema,
      { onprogress: (p) => void progress.push(p) },
    );
    assert.deepEqual(progress.map((p) => [p.progress, p.total]), [[0, 100], [50, 100], [100, 100]]);
  });

  it('logs three info messages during a call, and none below the level the client set', async () => {
    await client.setLoggingLevel('debug');
    logs.length = 0;
    await call('test_tool_with_logging');
    assert.deepEqual(logs.map((l) => [l.level, l.data]), [
      ['info', 'Tool execution started'],
      ['info', 'Tool processing data'],
      ['info', 'Tool execution completed'],
    ]);

    await client.setLoggingLevel('warning');
    logs.length = 0;
    await call('test_tool_with_logging');
    assert.deepEqual(logs, []);
  });

  it('asks the client for sampling with the prompt and returns the reply', async () => {
    const result = await call('test_sampling', { prompt: 'Test prompt for sampling' });
    assert.deepEqual(samplingPrompts.at(-1), { type: 'text', text: 'Test prompt for sampling' });
    assert.deepEqual(result.content, [{ type: 'text', text: 'LLM response: a test reply' }]);
  });

  it('elicits with a default for every primitive type (SEP-1034)', async () => {
    await call('test_elicitation_sep1034_defaults');
    const params = elicitations.at(-1);
    assert.ok(params && 'requestedSchema' in params);
    const properties = params.requestedSchema.properties as Record<string, { type: string; default?: unknown; enum?: string[] }>;
    assert.deepEqual(
      Object.fromEntries(Object.entries(properties).map(([name, schema]) => [name, [schema.type, schema.default]])),
      { name: ['string', 'John Doe'], age: ['integer', 30], score: ['number', 95.5], status: ['string', 'active'], verified: ['boolean', true] },
    );
    assert.ok(properties.status?.enum?.includes('active'));
  });

  it('serves the resources, the template and the prompts the scenarios read', async () => {
    const text = await client.readResource({ uri: 'test://static-text' });
    assert.deepEqual(text.contents, [{ uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' }]);

    const [fromTemplate] = (await client.readResource({ uri: 'test://template/123/data' })).contents;
    assert.ok(fromTemplate && 'text' in fromTemplate);
    assert.deepEqual(JSON.parse(fromTemplate.text), { id: '123', templateTest: true, data: 'Data for ID: 123' });

    await client.subscribeResource({ uri: 'test://watched-resource' });
    await client.unsubscribeResource({ uri: 'test://watched-resource' });

    const prompt = await client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'testValue1', arg2: 'testValue2' } });
    assert.deepEqual(prompt.messages[0]?.content, { type: 'text', text: "Prompt with arguments: arg1='testValue1', arg2='testValue2'" });

    const completion = await client.complete({ ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' }, argument: { name: 'arg1', value: 'par' } });
    assert.deepEqual(completion.completion.values, ['paris', 'park', 'party']);
  });

  it('refuses a request whose Host is not loopback and accepts its own (DNS rebinding)', async () => {
    const evil = 'evil.example.com';
    const own = new URL(fixture.url).host;
    assert.equal(await initializeWithHost(evil), 403);
    assert.equal(await initializeWithHost(own), 200);
  });
});

// The 2026-07-28 part of the fixture (mock-servers/conformance/modern.ts), called directly as the 0.2 suite does:
// stateless requests with the _meta envelope and the standard headers.
describe('conformance fixture, 2026-07-28 part', () => {
  const MODERN = '2026-07-28';
  let modern: ModernConformanceFixture;

  async function call(params: Record<string, unknown>, headers: Record<string, string> = {}, capabilities: object = { elicitation: {}, sampling: {}, roots: {} }) {
    const response = await fetch(modern.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json', accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': String(params.name), ...headers,
      },
      body: JSON.stringify({
        jsonrpc: '2.0', id: 1, method: 'tools/call',
        params: { arguments: {}, ...params, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': capabilities } },
      }),
    });
    const text = await response.text();
    const json = response.headers.get('content-type')?.includes('text/event-stream')
      ? text.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5)).filter((data) => data.trim()).pop() ?? '{}'
      : text;
    return { status: response.status, message: JSON.parse(json) as { result?: Record<string, unknown>; error?: { code: number } } };
  }

  before(async () => {
    modern = await startModernConformanceFixture();
  });
  after(async () => {
    await modern.close();
  });

  it('asks for user_name, then answers with the name', async () => {
    const first = await call({ name: 'test_input_required_result_elicitation' });
    assert.equal(first.message.result?.resultType, 'input_required');
    assert.deepEqual(Object.keys(first.message.result?.inputRequests as object), ['user_name']);
    const second = await call({ name: 'test_input_required_result_elicitation', inputResponses: { user_name: { action: 'accept', content: { name: 'Alice' } } } });
    assert.match(JSON.stringify(second.message.result?.content), /Alice/);
  });

  it('signs its requestState: the echo completes the flow, a tampered one is refused with -32602', async () => {
    const first = await call({ name: 'test_input_required_result_request_state' });
    const state = String(first.message.result?.requestState);
    const answer = { confirm: { action: 'accept', content: { ok: true } } };
    const ok = await call({ name: 'test_input_required_result_request_state', inputResponses: answer, requestState: state });
    assert.match(JSON.stringify(ok.message.result?.content), /state-ok/);
    const tampered = await call({ name: 'test_input_required_result_request_state', inputResponses: answer, requestState: `${state}-TAMPERED` });
    assert.equal(tampered.message.error?.code, -32602);
  });

  it('refuses test_missing_capability with -32021 when the client cannot sample', async () => {
    const { status, message } = await call({ name: 'test_missing_capability' }, {}, {});
    assert.equal(message.error?.code, -32021);
    assert.equal(status, 400);
  });

  it('checks the Mcp-Param-Region header against the body', async () => {
    const good = await call({ name: 'test_custom_header', arguments: { region: 'eu' } }, { 'mcp-param-region': 'eu' });
    assert.match(JSON.stringify(good.message.result?.content), /region: eu/);
    const missing = await call({ name: 'test_custom_header', arguments: { region: 'eu' } });
    assert.equal(missing.status, 400);
    assert.equal(missing.message.error?.code, -32020);
  });
});
