/**
 * A mock MCP server over stdio: `tsx mock-servers/mcp/stdio.ts '<spec json>'`.
 * stdout carries the protocol only; diagnostics go to stderr.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { MockCatalog } from './catalog.js';
import { MockSession } from './session.js';
import type { MockMcpSpec } from './types.js';

function parseSpec(raw: string | undefined): MockMcpSpec {
  if (!raw) throw new Error("usage: tsx mock-servers/mcp/stdio.ts '<spec json>'");
  const spec = JSON.parse(raw) as Partial<MockMcpSpec>;
  if (typeof spec.name !== 'string' || spec.name === '') throw new Error('spec: "name" must be a non-empty string');
  return spec as MockMcpSpec;
}

try {
  const catalog = new MockCatalog(parseSpec(process.argv[2]), { recordCalls: false });
  const session = new MockSession(catalog, true);
  // The client closing our stdin is the end of the session.
  session.onclose = () => process.exit(0);
  process.stdin.once('end', () => process.exit(0));
  await session.connect(new StdioServerTransport());
} catch (error) {
  console.error(`mock-mcp stdio: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
