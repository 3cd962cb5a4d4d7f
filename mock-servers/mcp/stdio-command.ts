import { fileURLToPath } from 'node:url';
import type { MockEra, MockMcpSpec } from './types.js';

const STDIO_ENTRY = fileURLToPath(new URL('./stdio.ts', import.meta.url));
// Resolved here rather than by the child, so the command works whatever its working directory.
const TSX_LOADER = import.meta.resolve('tsx');

/**
 * How to spawn a mock over stdio, for `StdioClientTransport` or an upstream config. Equivalent
 * to `tsx mock-servers/mcp/stdio.ts '<spec json>' [era]`, without needing `tsx` on PATH.
 */
export function stdioCommand(spec: MockMcpSpec, options: { era?: MockEra } = {}): { command: string; args: string[] } {
  const args = ['--import', TSX_LOADER, STDIO_ENTRY, JSON.stringify(spec)];
  if (options.era && options.era !== 'legacy') args.push(options.era);
  return { command: process.execPath, args };
}
