/**
 * Idle memory of the `switchboard` command (issue 6: <= 80 MB RSS with 5 upstreams): starts 5 mock MCP servers in
 * this process, runs the command in its own process in front of them, waits until all 5 are connected, lets it idle,
 * and prints its resident set size. `tsx scripts/idle-rss.ts [--bin bin/switchboard.js] [--idle-seconds 15]`
 */
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startMockMcpServer } from '../mock-servers/mcp/index.js';

const { values } = parseArgs({ options: { bin: { type: 'string', default: 'bin/switchboard.js' }, 'idle-seconds': { type: 'string', default: '15' } } });
const UPSTREAMS = 5;

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.match(/\d+/)?.[0]) / 1024;
}

const mocks = await Promise.all(Array.from({ length: UPSTREAMS }, (_, i) => startMockMcpServer(
  { name: `up${i}`, tools: [{ name: 'echo', description: 'Echoes its text' }, { name: 'forecast', description: 'A forecast' }] },
  { transport: 'streamable-http', port: 0, recordCalls: false },
)));
const dir = mkdtempSync(join(tmpdir(), 'switchboard-idle-'));
const config = join(dir, 'idle.json');
writeFileSync(config, JSON.stringify({ mcpServers: Object.fromEntries(mocks.map((m, i) => [`up${i}`, { url: m.url }])), http: { port: 0 }, log: { level: 'warn' } }));

const child = spawn(process.execPath, [values.bin, 'serve', '--config', config, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'inherit'] });
let output = '';
child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
try {
  let url: string | undefined;
  for (let i = 0; i < 300 && !url; i++) {
    url = output.match(/"url":"(http:\/\/[^"]+)\/mcp"/)?.[1];
    if (!url) await sleep(100);
  }
  if (!url) throw new Error(`switchboard did not start:\n${output}`);
  for (let i = 0; ; i++) {
    const ready = (await (await fetch(`${url}/readyz`)).json()) as { servers: Record<string, { state: string }> };
    if (Object.values(ready.servers).filter((s) => s.state === 'connected').length === UPSTREAMS) break;
    if (i > 300) throw new Error(`not all upstreams connected: ${JSON.stringify(ready.servers)}`);
    await sleep(100);
  }
  const samples: number[] = [];
  for (let s = 0; s < Number(values['idle-seconds']); s++) {
    await sleep(1000);
    samples.push(rssMb(child.pid!));
  }
  samples.sort((a, b) => a - b);
  console.log(JSON.stringify({ bin: values.bin, upstreams: UPSTREAMS, idleSeconds: samples.length, rssMbMedian: Number(samples[Math.floor(samples.length / 2)]!.toFixed(1)), rssMbMax: Number(samples.at(-1)!.toFixed(1)) }));
} finally {
  child.kill('SIGTERM');
  await Promise.all(mocks.map((m) => m.stop()));
  rmSync(dir, { recursive: true, force: true });
}
