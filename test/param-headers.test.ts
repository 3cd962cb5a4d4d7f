import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { paramHeaderMismatch, paramHeaderValues, scanParamHeaders, type ParamHeader } from '../src/upstream/index.js';

/** SEP-2243 (MCP 2026-07-28 server/tools#x-mcp-header, basic/transports#value-encoding). */
const schema = (properties: Record<string, unknown>) => ({ type: 'object', properties });
const headersOf = (properties: Record<string, unknown>): readonly ParamHeader[] => {
  const scan = scanParamHeaders(schema(properties));
  assert.ok(scan.ok, `expected a valid schema, got ${scan.ok ? '' : scan.reason}`);
  return scan.headers;
};
const lookup = (headers: Record<string, string>) => (name: string) => Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];

describe('x-mcp-header declarations', () => {
  it('finds the annotated string, integer and boolean parameters, and nothing else', () => {
    assert.deepEqual(headersOf({
      region: { type: 'string', 'x-mcp-header': 'Region' },
      priority: { type: 'integer', 'x-mcp-header': 'Priority' },
      verbose: { type: 'boolean', 'x-mcp-header': 'Verbose' },
      query: { type: 'string' },
    }), [{ property: 'region', name: 'Region' }, { property: 'priority', name: 'Priority' }, { property: 'verbose', name: 'Verbose' }]);
  });

  for (const [why, properties] of Object.entries({
    'an empty name': { v: { type: 'string', 'x-mcp-header': '' } },
    'a space': { v: { type: 'string', 'x-mcp-header': 'My Region' } },
    'a colon': { v: { type: 'string', 'x-mcp-header': 'Region:Primary' } },
    'a non-ASCII letter': { v: { type: 'string', 'x-mcp-header': 'Région' } },
    'a control character': { v: { type: 'string', 'x-mcp-header': 'Region\t1' } },
    'the same name twice, in another case': { a: { type: 'string', 'x-mcp-header': 'MyField' }, b: { type: 'string', 'x-mcp-header': 'myfield' } },
    'an object parameter': { v: { type: 'object', 'x-mcp-header': 'Data' } },
    'an array parameter': { v: { type: 'array', items: { type: 'string' }, 'x-mcp-header': 'Items' } },
    'a null parameter': { v: { type: 'null', 'x-mcp-header': 'Nil' } },
    'a number parameter': { v: { type: 'number', 'x-mcp-header': 'Score' } },
  })) {
    it(`refuses a tool whose declaration has ${why}`, () => {
      const scan = scanParamHeaders(schema(properties));
      assert.equal(scan.ok, false);
    });
  }
});

describe('Mcp-Param header values', () => {
  const headers = headersOf({
    region: { type: 'string', 'x-mcp-header': 'Region' },
    priority: { type: 'integer', 'x-mcp-header': 'Priority' },
    debug: { type: 'boolean', 'x-mcp-header': 'Debug' },
    note: { type: 'string', 'x-mcp-header': 'Note' },
  });

  it('sends plain ASCII as it is, integers in decimal, booleans in lower case, and omits null', () => {
    assert.deepEqual(paramHeaderValues(headers, { region: 'us west 1', priority: 42, debug: false, note: null }), {
      'Mcp-Param-Region': 'us west 1', 'Mcp-Param-Priority': '42', 'Mcp-Param-Debug': 'false',
    });
  });

  for (const value of ['Hello, 世界', ' padded', 'trailing ', 'line1\r\nline2', '\tindented', '=?base64?SGk=?=']) {
    it(`Base64-encodes ${JSON.stringify(value)}, and the check decodes it back`, () => {
      const sent = paramHeaderValues(headers, { region: value });
      assert.equal(sent['Mcp-Param-Region'], `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`);
      assert.equal(paramHeaderMismatch(headers, { region: value }, lookup(sent)), undefined);
    });
  }

  it('accepts headers that match the body, in any header case', () => {
    assert.equal(paramHeaderMismatch(headers, { region: 'eu', priority: 7, debug: true }, lookup({ 'mcp-param-region': 'eu', 'MCP-PARAM-PRIORITY': '7', 'Mcp-Param-Debug': 'true' })), undefined);
  });

  it('takes a value without the whole sentinel literally', () => {
    assert.equal(paramHeaderMismatch(headers, { region: '=?base64?SGVsbG8=' }, lookup({ 'Mcp-Param-Region': '=?base64?SGVsbG8=' })), undefined);
    assert.equal(paramHeaderMismatch(headers, { region: 'SGVsbG8=' }, lookup({ 'Mcp-Param-Region': 'SGVsbG8=' })), undefined);
  });

  for (const [why, args, sent] of [
    ['a missing header for a value in the body', { region: 'eu' }, {}],
    ['a header that differs from the body', { region: 'eu' }, { 'Mcp-Param-Region': 'us' }],
    ['Base64 without its padding', { region: 'Hello' }, { 'Mcp-Param-Region': '=?base64?SGVsbG8?=' }],
    ['Base64 with characters outside its alphabet', { region: 'Hello' }, { 'Mcp-Param-Region': '=?base64?SGVs!!!bG8=?=' }],
    ['a header for an argument that has no value', {}, { 'Mcp-Param-Region': 'eu' }],
    ['an integer that differs', { priority: 7 }, { 'Mcp-Param-Priority': '8' }],
  ] as const) {
    it(`refuses ${why}`, () => {
      assert.notEqual(paramHeaderMismatch(headers, args, lookup(sent)), undefined);
    });
  }
});
