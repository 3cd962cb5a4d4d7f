/**
 * A mock MCP server over stdio: `tsx mock-servers/mcp/stdio.ts '<spec json>' [legacy|modern|both]`.
 * stdout carries the protocol only; diagnostics go to stderr.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { MockCatalog } from './catalog.js';
import { modernServerFactory } from './modern.js';
import { MockSession } from './session.js';
import type { MockEra, MockMcpSpec } from './types.js';

function parseSpec(raw: string | undefined): MockMcpSpec {
  if (!raw) throw new Error("usage: tsx mock-servers/mcp/stdio.ts '<spec json>' [legacy|modern|both]");
  const spec = JSON.parse(raw) as Partial<MockMcpSpec>;
  if (typeof spec.name !== 'string' || spec.name === '') throw new Error('spec: "name" must be a non-empty string');
  return spec as MockMcpSpec;
}

function parseEra(raw: string | undefined): MockEra {
  if (raw === undefined || raw === 'legacy' || raw === 'modern' || raw === 'both') return raw ?? 'legacy';
  throw new Error(`era: expected legacy, modern or both, got ${raw}`);
}

/** Dies on the first request that is not `initialize` while the session is not initialized yet. */
function exitOnEarlyRequest(transport: StdioServerTransport): void {
  const sdk = transport.onmessage;
  let initialized = false;
  transport.onmessage = (message) => {
    const method = (message as { method?: unknown; id?: unknown }).method;
    if (method === 'initialize') initialized = true;
    else if (!initialized && 'id' in message) process.exit(1);
    sdk?.(message);
  };
}

try {
  const catalog = new MockCatalog(parseSpec(process.argv[2]), { recordCalls: false });
  const era = parseEra(process.argv[3]);
  process.stdin.once('end', () => process.exit(0));
  if (era === 'legacy') {
    const spec = parseSpec(process.argv[2]);
    const session = new MockSession(catalog, true);
    // The client closing our stdin is the end of the session.
    session.onclose = () => process.exit(0);
    const transport = new StdioServerTransport();
    await session.connect(transport);
    if (spec.exitOnEarlyRequest) exitOnEarlyRequest(transport);
  } else {
    // The opening exchange pins the era of the connection; a modern-only mock refuses a 2025 `initialize`.
    serveStdio(modernServerFactory(catalog), { legacy: era === 'modern' ? 'reject' : 'serve' });
  }
} catch (error) {
  console.error(`mock-mcp stdio: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
