/**
 * Bench child: hosts mock MCP upstreams (Streamable HTTP, loopback, free ports) in one process, then prints
 *
 *   READY {"urls":[...],"referenceUrl":...,"statsUrl":...}
 *
 * and serves until SIGTERM/SIGINT or until the bench process goes away (stdin ends).
 *
 *   tsx scripts/bench/upstreams.ts --servers 1                       # one mock with the built-in `echo` tool
 *   tsx scripts/bench/upstreams.ts --servers 100 --tools 50 --reference
 *   tsx scripts/bench/upstreams.ts --servers 1 --era modern          # the same mock speaking 2026-07-28 only
 *
 * --tools N gives each server N tools tool_00.. with realistic input schemas; --reference adds one more server that
 * offers all servers' tools at once (servers x tools), a floor for what listing that many tools costs an SDK server.
 * `statsUrl` answers `{"sessions": N}`: the MCP sessions the mocks hold, so the bench sees what a client leaves open.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { startMockMcpServer, type MockEra, type MockMcpServer } from '../../mock-servers/mcp/index.js';
import { benchTools } from './tools.js';
import './exit-with-parent.mjs';

const { values } = parseArgs({
  options: {
    servers: { type: 'string', default: '1' },
    tools: { type: 'string', default: '0' },
    reference: { type: 'boolean', default: false },
    era: { type: 'string', default: 'legacy' },
  },
});
const servers = Number(values.servers);
const toolsPerServer = Number(values.tools);
if (!Number.isInteger(servers) || servers < 1 || servers > 1000) throw new Error(`--servers: expected 1-1000, got ${values.servers}`);
const era = values.era as MockEra;
if (era !== 'legacy' && era !== 'modern') throw new Error(`--era: expected legacy or modern, got ${values.era}`);
if (!Number.isInteger(toolsPerServer) || toolsPerServer < 0 || toolsPerServer > 1000) throw new Error(`--tools: expected 0-1000, got ${values.tools}`);

const name = (i: number): string => `up${String(i).padStart(3, '0')}`;
const mocks: MockMcpServer[] = [];
const stop = (): void => {
  void Promise.allSettled(mocks.map((m) => m.stop())).then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

// recordCalls off: nothing is kept per call, so the upstream's memory stays flat over a long run.
for (let i = 0; i < servers; i++) {
  const spec = toolsPerServer > 0 ? { name: name(i), tools: benchTools(toolsPerServer, name(i)) } : { name: name(i) };
  mocks.push(await startMockMcpServer(spec, { transport: 'streamable-http', era, recordCalls: false }));
}
let referenceUrl: string | undefined;
if (values.reference) {
  const tools = Array.from({ length: servers }, (_, i) => benchTools(toolsPerServer, name(i)).map((t) => ({ ...t, name: `${name(i)}_${t.name}` }))).flat();
  const reference = await startMockMcpServer({ name: 'reference', tools }, { transport: 'streamable-http', era, recordCalls: false });
  mocks.push(reference);
  referenceUrl = reference.url;
}
const stats = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ sessions: mocks.reduce((sum, m) => sum + m.sessions(), 0) }));
});
await new Promise<void>((resolve) => stats.listen(0, '127.0.0.1', resolve));
const statsUrl = `http://127.0.0.1:${(stats.address() as AddressInfo).port}/`;
console.log(`READY ${JSON.stringify({ urls: mocks.slice(0, servers).map((m) => m.url), referenceUrl, statsUrl })}`);
