/**
 * A mock MCP server to run by hand or in a demo:
 *
 *   tsx mock-servers/mcp/main.ts --name weather --port 7001 --transport streamable-http --tools echo,forecast
 *   tsx mock-servers/mcp/main.ts --spec-file weather.json --transport sse
 *   tsx mock-servers/mcp/main.ts --name weather --era modern   (2026-07-28 only; also legacy, both)
 *
 * Prints its URL and serves until SIGINT/SIGTERM. Calls are not recorded (nobody can read them).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startMockMcpServer } from './http.js';
import type { MockEra, MockMcpSpec, MockTransportKind } from './types.js';

const USAGE = `usage: tsx mock-servers/mcp/main.ts [--name NAME --tools a,b,c | --spec-file FILE]
       [--port PORT] [--host HOST] [--transport streamable-http|sse] [--era legacy|modern|both]`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    name: { type: 'string' },
    tools: { type: 'string' },
    'spec-file': { type: 'string' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    transport: { type: 'string', default: 'streamable-http' },
    era: { type: 'string', default: 'legacy' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function loadSpec(): MockMcpSpec {
  if (values['spec-file']) {
    let spec: Partial<MockMcpSpec>;
    try {
      spec = JSON.parse(readFileSync(values['spec-file'], 'utf8')) as Partial<MockMcpSpec>;
    } catch (error) {
      fail(`${values['spec-file']}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (values.name) spec.name = values.name;
    if (typeof spec.name !== 'string' || spec.name === '') fail(`${values['spec-file']}: "name" must be a non-empty string`);
    return spec as MockMcpSpec;
  }
  if (!values.name) fail('--name or --spec-file is required');
  const tools = values.tools?.split(',').map((t) => t.trim()).filter((t) => t !== '');
  return { name: values.name, ...(tools && { tools: tools.map((name) => ({ name })) }) };
}

const transport = values.transport as MockTransportKind;
if (transport !== 'streamable-http' && transport !== 'sse') fail(`--transport: expected streamable-http or sse, got ${values.transport}`);
const era = values.era as MockEra;
if (era !== 'legacy' && era !== 'modern' && era !== 'both') fail(`--era: expected legacy, modern or both, got ${values.era}`);
if (era !== 'legacy' && transport === 'sse') fail('--era: legacy HTTP+SSE speaks the 2025 era only');
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port: expected 0-65535, got ${values.port}`);

const spec = loadSpec();
const mock = await startMockMcpServer(spec, { transport, era, port, host: values.host, recordCalls: false });
console.log(`mock MCP server "${spec.name}" (${transport}, ${era} era) listening at ${mock.url}`);

const shutdown = (): void => {
  void mock.stop().then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
