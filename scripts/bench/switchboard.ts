import { rmSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchChild, freePort } from './children.js';

const START_TIMEOUT_MS = 30_000;

export interface SwitchboardProcess {
  child: BenchChild;
  /** http://127.0.0.1:PORT */
  base: string;
  /** http://127.0.0.1:PORT/mcp */
  url: string;
  /** Set when started with a CPU profile: the directory --cpu-prof writes into. */
  profileDir?: string;
  /** Set when started with `inspect`: the child's DevTools WebSocket address. */
  inspectorUrl?: string;
  stop(): Promise<void>;
}

/**
 * Starts the switchboard command as users run it (`bin/switchboard.js serve --config FILE --port N`: the compiled
 * JavaScript of dist/, which `npm run bench` builds first) as a child with a temporary config in which
 * every upstream is a Streamable HTTP server, and waits until /healthz answers.
 */
export async function startSwitchboard(options: {
  name: string;
  upstreams: Record<string, string>;
  /** Extra top-level config, e.g. `sessions`. */
  config?: Record<string, unknown>;
  profile?: boolean;
  /** Open the child's inspector on a free loopback port (for forced garbage collection before memory readings). */
  inspect?: boolean;
  /** The entry point; default bin/switchboard.js of this checkout (another one lets a change be measured against it). */
  cli?: string;
}): Promise<SwitchboardProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-bench-'));
  const configFile = join(dir, 'config.json');
  const mcpServers = Object.fromEntries(Object.entries(options.upstreams).map(([name, url]) => [name, { url, transport: 'streamable-http' }]));
  await writeFile(configFile, JSON.stringify({ mcpServers, log: { level: 'silent' }, ...options.config }));
  const port = await freePort();
  const profileDir = options.profile ? join(dir, 'profile') : undefined;
  // Also gone when the bench is interrupted; a CPU profile stays for whoever asked for it.
  if (!profileDir) process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const child = new BenchChild({
    name: options.name,
    script: options.cli ?? 'bin/switchboard.js',
    args: ['serve', '--config', configFile, '--port', String(port)],
    nodeFlags: [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), ...(options.inspect ? ['--inspect=127.0.0.1:0'] : [])],
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const healthy = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
    if (healthy) break;
    const failure = !child.running ? `exited (code ${child.exitCode}) at start`
      : Date.now() > deadline ? `did not answer /healthz within ${START_TIMEOUT_MS} ms` : undefined;
    if (failure) {
      await child.stop();
      await rm(dir, { recursive: true, force: true });
      throw new Error(`${options.name} ${failure}\n${child.stderr()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const inspectorUrl = options.inspect ? /Debugger listening on (ws:\/\/\S+)/.exec(child.stderr())?.[1] : undefined;
  if (options.inspect && !inspectorUrl) throw new Error(`${options.name} started without an inspector\n${child.stderr()}`);
  return {
    child,
    base,
    url: `${base}/mcp`,
    profileDir,
    inspectorUrl,
    stop: async () => {
      await child.stop();
      // The profile stays for whoever asked for it; the config goes.
      if (!profileDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The main-thread profile a stopped switchboard child wrote. --cpu-prof names files
 * CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile, and tsx's module loader runs on a thread of its own (thread 1).
 */
export async function profileFile(sb: SwitchboardProcess): Promise<string | undefined> {
  if (!sb.profileDir) return undefined;
  const files = await readdir(sb.profileDir).catch(() => [] as string[]);
  const file = files.find((f) => f.includes(`.${sb.child.pid}.0.`) && f.endsWith('.cpuprofile'));
  return file ? join(sb.profileDir, file) : undefined;
}

export interface ProcessMemory {
  rssBytes: number;
  heapUsedBytes: number;
}

/** Memory as switchboard reports it on /metrics (prom-client default metrics). */
export async function readMemory(sb: SwitchboardProcess): Promise<ProcessMemory> {
  const text = await (await fetch(`${sb.base}/metrics`)).text();
  const value = (name: string): number => {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
    if (!match?.[1]) throw new Error(`/metrics has no ${name}`);
    return Number(match[1]);
  };
  return { rssBytes: value('process_resident_memory_bytes'), heapUsedBytes: value('nodejs_heap_size_used_bytes') };
}

/** Waits until switchboard's own upstream monitor (GET /readyz) sees every upstream connected. */
export async function waitForUpstreams(sb: SwitchboardProcess, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let connected = 0;
  while (Date.now() < deadline) {
    const readiness = (await (await fetch(`${sb.base}/readyz`)).json()) as { servers?: Record<string, { state: string }> };
    connected = Object.values(readiness.servers ?? {}).filter((s) => s.state === 'connected').length;
    if (connected >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${sb.child.name}: only ${connected} of ${count} upstreams connected after ${timeoutMs} ms\n${sb.child.stderr()}`);
}
