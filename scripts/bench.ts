/**
 * `npm run bench`: what switchboard costs, measured in one run on one machine.
 *
 * 1. tools/call of an `echo` tool through switchboard vs the same upstream called directly, at concurrency 1 and 16:
 *    2025-11-25 clients and upstream (`calls`), and 2026-07-28 ones (`modern`: stateless requests, modern-only mock).
 * 2. tools/list over 100 upstreams x 50 tools (5,000 tools) through switchboard, on a warmed session.
 * 3. Sessions over 5 public upstreams: a new session's initialize + first tools/list, memory with 1,000 legacy sessions
 *    open, and the memory a second round of 1,000 needs after the first ended (scripts/bench/sessions.ts).
 *
 * At c16 the same load also goes through a pass-through relay (scripts/bench/pass-through.ts: Node's http server and
 * undici, no MCP logic), whose ratio is the most any Node relay reaches on the machine of the run.
 *
 * Three kinds of process, each with its own event loop: the mock upstreams (one child, scripts/bench/upstreams.ts),
 * switchboard (a child running the CLI with a temporary config) and the load generator (this process).
 * Everything is on loopback and every loop is bounded by time. Children are stopped on exit, on error and on
 * SIGINT/SIGTERM, and exit by themselves when this process dies (scripts/bench/exit-with-parent.mjs).
 *
 *   npm run bench [-- --profile] [-- --only calls|modern|list|sessions] [-- --segment-ms 1000 --rounds 4 --warmup-ms 2000]
 *                 [-- --sessions 1000]
 *
 * --profile runs the switchboard children with --cpu-prof and prints where their CPU time went.
 * --cli PATH runs another copy of switchboard (e.g. a checkout with a proposed change, built, with its own
 * package.json and node_modules) instead of bin/switchboard.js, the compiled command users run (npm run bench builds
 * it first).
 * The last line of the output is one JSON object with every figure.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { BenchChild, killAllChildrenNow, stopAllChildren } from './bench/children.js';
import type { CpuProbe } from './bench/cpu.js';
import { closeClient, closeSession, echoCall, looseToolsList, measure, openClient, openSession, rawToolsList, sdkToolsList, summarize, MODERN_PROTOCOL_VERSION, type BenchEra, type Operation, type Segment, type Summary } from './bench/load.js';
import { printProfile, summarizeProfile, type ProfileSummary } from './bench/profile.js';
import { benchSessions, type MemoryReading, type SessionFigures } from './bench/sessions.js';
import { profileFile, readMemory, startSwitchboard, waitForUpstreams, type ProcessMemory, type SwitchboardProcess } from './bench/switchboard.js';

const TARGETS = { c16RatioMin: 0.75, c1AddedP50MsMax: 0.8, modernC16RatioMin: 0.8, listP50MsMax: 5, sessionsRssMbMax: 200, sessionOpenP50MsMax: 10, secondRoundGrowthMbMax: 10, idleRssMbMax: 80 } as const;
const LIST_SERVERS = 100;
const LIST_TOOLS_PER_SERVER = 50;
const CHILD_START_TIMEOUT_MS = 60_000;
const SESSION_UPSTREAMS = 5;
const SESSION_CONCURRENCY = 25;
const SESSION_OPEN_SAMPLES = 25;
const SESSION_ROUND_TIMEOUT_MS = 300_000;

const { values: options } = parseArgs({
  options: {
    profile: { type: 'boolean', default: false },
    only: { type: 'string', default: 'all' },
    'segment-ms': { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '4' },
    'warmup-ms': { type: 'string', default: '2000' },
    cli: { type: 'string', default: 'bin/switchboard.js' },
    sessions: { type: 'string', default: '1000' },
  },
});
const segmentMs = Number(options['segment-ms']);
const warmupMs = Number(options['warmup-ms']);
const rounds = Number(options.rounds);
if (!(segmentMs >= 200 && segmentMs <= 30_000) || !(warmupMs >= 0 && warmupMs <= 30_000) || !(Number.isInteger(rounds) && rounds >= 1 && rounds <= 20)) {
  throw new Error('--segment-ms: 200-30000, --warmup-ms: 0-30000, --rounds: 1-20');
}
if (!['all', 'calls', 'modern', 'list', 'sessions'].includes(options.only)) throw new Error('--only: all, calls, modern, list or sessions');
const sessionCount = Number(options.sessions);
if (!(Number.isInteger(sessionCount) && sessionCount >= SESSION_CONCURRENCY && sessionCount <= 5_000)) throw new Error(`--sessions: ${SESSION_CONCURRENCY}-5000`);

let benchWarnings = 0;
process.on('warning', (warning) => {
  if (warning.name === 'MaxListenersExceededWarning') benchWarnings++;
});
process.on('exit', killAllChildrenNow);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    console.error(`bench: ${signal}, stopping the child processes`);
    void stopAllChildren().finally(() => process.exit(130));
  });
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const mb = (bytes: number): number => Math.round(bytes / 1024 / 102.4) / 10;
const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
const verdict = (ok: boolean): string => (ok ? 'MET' : 'MISSED');

async function startUpstreams(args: string[]): Promise<{ child: BenchChild; urls: string[]; referenceUrl?: string; statsUrl: string }> {
  const child = new BenchChild({ name: 'upstreams', script: 'scripts/bench/upstreams.ts', args });
  const ready = JSON.parse(await child.waitForLine('READY ', CHILD_START_TIMEOUT_MS)) as { urls: string[]; referenceUrl?: string; statsUrl: string };
  return { child, ...ready };
}

/**
 * Each target warmed, then measured in short segments ordered A B B A, repeated: other people's builds and tests
 * come and go on this machine within seconds, and short interleaved segments expose both targets to them alike.
 * `ratios` are B/A throughput per round, to show how much the load moved.
 */
async function interleaved(a: Operation[], b: Operation[], probe?: CpuProbe): Promise<{ a: Summary; b: Summary; ratios: number[] }> {
  await measure(a, warmupMs);
  await measure(b, warmupMs);
  const as: Segment[] = [];
  const bs: Segment[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const ra = [await measure(a, segmentMs, probe)];
    const rb = [await measure(b, segmentMs, probe), await measure(b, segmentMs, probe)];
    ra.push(await measure(a, segmentMs, probe));
    ratios.push(summarize(rb).callsPerSecond / summarize(ra).callsPerSecond);
    as.push(...ra);
    bs.push(...rb);
  }
  return { a: summarize(as), b: summarize(bs), ratios };
}

/** Profiles are printed after all the tables. */
const profiles: { title: string; summary: ProfileSummary }[] = [];

async function stopWithProfile(sb: SwitchboardProcess, title: string): Promise<ProfileSummary | undefined> {
  await sb.stop();
  if (!sb.profileDir) return undefined;
  const file = await profileFile(sb);
  if (!file) {
    console.log(`${title}: no CPU profile was written in ${sb.profileDir}`);
    return undefined;
  }
  const summary = summarizeProfile(file, 20);
  profiles.push({ title: `${title} (${file})`, summary });
  return summary;
}

interface ConcurrencyResult {
  direct: Summary;
  switchboard: Summary;
  ratio: number;
  addedP50Ms: number;
  /** Throughput ratio of each A B B A round. */
  roundRatios: number[];
}

/** The same c16 load through the pass-through relay (scripts/bench/pass-through.ts): what any Node relay costs here. */
interface PassThroughResult {
  direct: Summary;
  passThrough: Summary;
  ratio: number;
  roundRatios: number[];
}

interface CallsResult {
  c1: ConcurrencyResult;
  c16: ConcurrencyResult;
  passThrough: PassThroughResult;
  memory: { beforeC16: ProcessMemory; afterC16: ProcessMemory; afterC16Closed: ProcessMemory };
  maxListenersWarnings: { switchboard: number; upstream: number };
  profile?: ProfileSummary;
}

/**
 * Direct against the pass-through relay at c16, interleaved like switchboard. The pass-through forwards names as they
 * are, so its clients call the upstream's own `echo`. Its CPU is read in the switchboard column.
 */
async function benchPassThrough(era: BenchEra, directUrl: string, directOps: Operation[], upstreamPid: number): Promise<PassThroughResult> {
  const child = new BenchChild({ name: 'pass-through', script: 'scripts/bench/pass-through.ts', args: ['--upstream', directUrl] });
  try {
    const { url } = JSON.parse(await child.waitForLine('READY ', CHILD_START_TIMEOUT_MS)) as { url: string };
    const clients = await Promise.all(range(16).map(() => openClient(url, era)));
    try {
      const ops = clients.map((c) => echoCall(c, 'echo'));
      for (const op of ops) if (!(await op())) throw new Error('an echo call through the pass-through relay did not answer "hello"');
      const { a, b, ratios } = await interleaved(directOps, ops, { bench: process.pid, switchboard: child.pid, upstream: upstreamPid });
      return { direct: a, passThrough: b, ratio: b.callsPerSecond / a.callsPerSecond, roundRatios: ratios };
    } finally {
      await Promise.all(clients.map(closeClient));
    }
  } finally {
    await child.stop();
  }
}

/** The same measurement in either era: the client, the upstream mock and switchboard's two faces are of that era. */
async function benchCalls(era: BenchEra): Promise<CallsResult> {
  const upstream = await startUpstreams(['--servers', '1', '--era', era]);
  const directUrl = upstream.urls[0]!;
  const sb = await startSwitchboard({ name: `switchboard (${era} calls)`, upstreams: { mock: directUrl }, profile: options.profile, cli: options.cli });
  await waitForUpstreams(sb, 1, CHILD_START_TIMEOUT_MS);
  const result: Partial<CallsResult> = {};
  const memory: Partial<CallsResult['memory']> = {};
  for (const concurrency of [1, 16] as const) {
    if (concurrency === 16) memory.beforeC16 = await readMemory(sb);
    // One client per concurrent worker (legacy: own SDK Client, transport and MCP session), as separate hosts would have.
    const direct = await Promise.all(range(concurrency).map(() => openClient(directUrl, era)));
    const via = await Promise.all(range(concurrency).map(() => openClient(sb.url, era)));
    const directOps = direct.map((s) => echoCall(s, 'echo'));
    const viaOps = via.map((s) => echoCall(s, 'mock_echo'));
    for (const [i, op] of [...directOps, ...viaOps].entries()) {
      if (!(await op())) throw new Error(`echo call ${i} at concurrency ${concurrency} did not answer "hello"`);
    }
    const probe = { bench: process.pid, switchboard: sb.child.pid, upstream: upstream.child.pid };
    const { a: d, b: s, ratios } = await interleaved(directOps, viaOps, probe);
    result[`c${concurrency}`] = { direct: d, switchboard: s, ratio: s.callsPerSecond / d.callsPerSecond, addedP50Ms: s.p50Ms - d.p50Ms, roundRatios: ratios };
    if (concurrency === 16) {
      memory.afterC16 = await readMemory(sb);
      result.passThrough = await benchPassThrough(era, directUrl, directOps, upstream.child.pid);
    }
    await Promise.all([...direct, ...via].map(closeClient));
    if (concurrency === 16) memory.afterC16Closed = await readMemory(sb);
  }
  const profile = await stopWithProfile(sb, `switchboard CPU profile, ${era} tools/call part`);
  await upstream.child.stop();
  return {
    ...(result as Pick<CallsResult, 'c1' | 'c16' | 'passThrough'>),
    memory: memory as CallsResult['memory'],
    maxListenersWarnings: { switchboard: sb.child.maxListenersWarnings, upstream: upstream.child.maxListenersWarnings },
    profile,
  };
}

interface ListResult {
  upstreams: number;
  tools: number;
  answerBytes: number;
  upstreamsConnectedMs: number;
  firstListMs: number;
  switchboardRaw: Summary;
  switchboardSdk: Summary;
  referenceRaw: Summary;
  memory: ProcessMemory;
  maxListenersWarnings: { switchboard: number; upstream: number };
  profile?: ProfileSummary;
}

async function benchList(): Promise<ListResult> {
  const expected = LIST_SERVERS * LIST_TOOLS_PER_SERVER;
  const upstream = await startUpstreams(['--servers', String(LIST_SERVERS), '--tools', String(LIST_TOOLS_PER_SERVER), '--reference']);
  const names = upstream.urls.map((_, i) => `up${String(i).padStart(3, '0')}`);
  const started = performance.now();
  const sb = await startSwitchboard({
    name: 'switchboard (list)',
    upstreams: Object.fromEntries(names.map((name, i) => [name, upstream.urls[i]!])),
    // The first list of a session waits for all 100 upstreams, not the default 3 s.
    config: { sessions: { firstListWaitMs: 60_000 } },
    profile: options.profile,
    cli: options.cli,
  });
  await waitForUpstreams(sb, LIST_SERVERS, CHILD_START_TIMEOUT_MS);
  const upstreamsConnectedMs = performance.now() - started;

  const session = await openSession(sb.url);
  const listedAt = performance.now();
  const tools = await looseToolsList(session)();
  const firstListMs = performance.now() - listedAt;
  if (tools.length !== expected) throw new Error(`switchboard listed ${tools.length} tools, expected ${expected}`);
  const raw = await rawToolsList(sb.url, session);
  if (raw.tools !== expected) throw new Error(`switchboard listed ${raw.tools} tools over bare HTTP, expected ${expected}`);

  const referenceSession = await openSession(upstream.referenceUrl!);
  const reference = await rawToolsList(upstream.referenceUrl!, referenceSession);
  if (reference.tools !== expected) throw new Error(`the reference mock listed ${reference.tools} tools, expected ${expected}`);

  const probe = { bench: process.pid, switchboard: sb.child.pid, upstream: upstream.child.pid };
  const { a: switchboardRaw, b: referenceRaw } = await interleaved([raw.operation], [reference.operation], probe);
  const sdk = sdkToolsList(session, expected);
  await measure([sdk], warmupMs / 2);
  const switchboardSdk = summarize([await measure([sdk], segmentMs * rounds)]);
  const memory = await readMemory(sb);
  await Promise.all([closeSession(session), closeSession(referenceSession)]);
  const profile = await stopWithProfile(sb, 'switchboard CPU profile, tools/list part');
  await upstream.child.stop();
  return {
    upstreams: LIST_SERVERS,
    tools: expected,
    answerBytes: raw.bytes,
    upstreamsConnectedMs,
    firstListMs,
    switchboardRaw,
    switchboardSdk,
    referenceRaw,
    memory,
    maxListenersWarnings: { switchboard: sb.child.maxListenersWarnings, upstream: upstream.child.maxListenersWarnings },
    profile,
  };
}

async function benchSessionFigures(): Promise<SessionFigures> {
  const upstream = await startUpstreams(['--servers', String(SESSION_UPSTREAMS)]);
  const names = upstream.urls.map((_, i) => `pub${i}`);
  const sb = await startSwitchboard({
    name: 'switchboard (sessions)',
    upstreams: Object.fromEntries(names.map((name, i) => [name, upstream.urls[i]!])),
    // Under 25 sessions opening at once, a session's 5 upstream handshakes can take longer than the default 3 s wait;
    // every session must list all tools, so that what is measured is a full session.
    config: { sessions: { firstListWaitMs: 60_000 } },
    inspect: true,
    cli: options.cli,
  });
  await waitForUpstreams(sb, SESSION_UPSTREAMS, CHILD_START_TIMEOUT_MS);
  const figures = await benchSessions({
    switchboard: sb,
    upstreamStatsUrl: upstream.statsUrl,
    upstreams: SESSION_UPSTREAMS,
    sessions: sessionCount,
    concurrency: SESSION_CONCURRENCY,
    openSamples: SESSION_OPEN_SAMPLES,
    roundTimeoutMs: SESSION_ROUND_TIMEOUT_MS,
  }).catch((error: unknown) => {
    const state = sb.child.running ? 'still running' : `exited (code ${sb.child.exitCode})`;
    throw new Error(`${error instanceof Error ? error.message : String(error)}; switchboard ${state}\n${sb.child.stderr()}`, { cause: error });
  });
  await sb.stop();
  await upstream.child.stop();
  return figures;
}

/**
 * What the second round needs beyond the first: with its sessions open (the target), and after they ended. A leak
 * shows in both; RSS alone also moves with the allocator, the heap after a full GC only with what is still referenced.
 */
function secondRoundGrowth(s: SessionFigures): { rssBytes: number; heapUsedBytes: number; afterEndRssBytes: number; afterEndHeapUsedBytes: number } {
  const [first, second] = s.rounds;
  return {
    rssBytes: second.withSessions.rssBytes - first.withSessions.rssBytes,
    heapUsedBytes: second.withSessions.heapUsedBytes - first.withSessions.heapUsedBytes,
    afterEndRssBytes: second.afterEnd.rssBytes - first.afterEnd.rssBytes,
    afterEndHeapUsedBytes: second.afterEnd.heapUsedBytes - first.afterEnd.heapUsedBytes,
  };
}

function readingJson(m: MemoryReading): Record<string, number> {
  return { rssBytes: m.rssBytes, heapUsedBytes: m.heapUsedBytes, sessions: m.sessions, upstreamSessions: m.upstreamSessions };
}

function row(label: string, s: Summary): string {
  return `${label.padEnd(34)}${s.callsPerSecond.toFixed(0).padStart(8)}${s.p50Ms.toFixed(2).padStart(9)}${s.p99Ms.toFixed(2).padStart(9)}${String(s.calls).padStart(9)}${String(s.errors).padStart(8)}`;
}

function compact(s: Summary): Record<string, unknown> {
  const cpu = s.cpuMsPerCall && Object.fromEntries(Object.entries(s.cpuMsPerCall).map(([name, ms]) => [name, round(ms, 3)]));
  return { callsPerSecond: round(s.callsPerSecond, 1), p50Ms: round(s.p50Ms, 3), p99Ms: round(s.p99Ms, 3), calls: s.calls, errors: s.errors, seconds: s.seconds, ...(cpu && { cpuMsPerCall: cpu }) };
}

/** The tables of a tools/call part; `c1AddedP50MsMax` where the part has that target. */
function printCalls(calls: CallsResult, targets: { c16RatioMin: number; c1AddedP50MsMax?: number }): void {
  console.log(`${''.padEnd(34)}${'calls/s'.padStart(8)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'calls'.padStart(9)}${'errors'.padStart(8)}`);
  console.log(row('c1  direct', calls.c1.direct));
  console.log(row('c1  switchboard', calls.c1.switchboard));
  console.log(row('c16 direct', calls.c16.direct));
  console.log(row('c16 switchboard', calls.c16.switchboard));
  const spread = (r: number[]): string => `(rounds ${Math.min(...r).toFixed(2)}-${Math.max(...r).toFixed(2)})`;
  const c1Max = targets.c1AddedP50MsMax;
  console.log(`c1  throughput ratio (sb/direct)  ${calls.c1.ratio.toFixed(2)} ${spread(calls.c1.roundRatios)}`);
  console.log(`c1  added p50 latency             ${calls.c1.addedP50Ms.toFixed(2)} ms${c1Max === undefined ? '' : `   target <= ${c1Max} ms: ${verdict(calls.c1.addedP50Ms <= c1Max)}`}`);
  console.log(`c16 throughput ratio (sb/direct)  ${calls.c16.ratio.toFixed(2)} ${spread(calls.c16.roundRatios)}   target >= ${targets.c16RatioMin}: ${verdict(calls.c16.ratio >= targets.c16RatioMin)}`);
  console.log(`c16 added p50 latency             ${calls.c16.addedP50Ms.toFixed(2)} ms`);
  const pass = calls.passThrough;
  console.log(`c16 pass-through relay / direct   ${pass.ratio.toFixed(2)} ${spread(pass.roundRatios)}   (no MCP logic: the ceiling of any Node relay here; ${pass.passThrough.cpuMsPerCall?.switchboard?.toFixed(2) ?? '?'} ms of its CPU per call)`);
  printCpu(calls);
  const m = calls.memory;
  console.log(`switchboard RSS (heap used, garbage included: no forced GC): ${mb(m.beforeC16.rssBytes)} MB (${mb(m.beforeC16.heapUsedBytes)}) before c16, ${mb(m.afterC16.rssBytes)} MB (${mb(m.afterC16.heapUsedBytes)}) after c16 with its 16 clients still open, ${mb(m.afterC16Closed.rssBytes)} MB (${mb(m.afterC16Closed.heapUsedBytes)}) after they closed`);
  console.log(`MaxListenersExceededWarning lines in stderr: switchboard ${calls.maxListenersWarnings.switchboard}, upstream ${calls.maxListenersWarnings.upstream}`);
}

/**
 * CPU per call by process. When all three processes are busy, 2 cores can do at most 2 s of CPU per second, so
 * direct total / via-switchboard total bounds the c16 throughput ratio whatever the machine's other load does.
 */
function printCpu(calls: CallsResult): void {
  const header = `${'CPU ms per call'.padEnd(34)}${'bench'.padStart(8)}${'switchbd'.padStart(9)}${'upstream'.padStart(9)}${'total'.padStart(9)}`;
  const lines: string[] = [];
  for (const key of ['c1', 'c16'] as const) {
    for (const target of ['direct', 'switchboard'] as const) {
      const cpu = calls[key][target].cpuMsPerCall;
      if (!cpu) return;
      const total = (cpu.bench ?? 0) + (cpu.switchboard ?? 0) + (cpu.upstream ?? 0);
      const cell = (ms: number | undefined): string => (ms ?? 0).toFixed(2).padStart(9);
      lines.push(`${`${key.padEnd(4)}${target}`.padEnd(34)}${(cpu.bench ?? 0).toFixed(2).padStart(8)}${cell(cpu.switchboard)}${cell(cpu.upstream)}${cell(total)}`);
    }
  }
  console.log(header);
  for (const line of lines) console.log(line);
  const c16 = cpuShares(calls.c16);
  if (c16) console.log(`c16 switchboard CPU per call = ${c16.switchboardVsDirect.toFixed(2)} x (SDK client + SDK server CPU of a direct call); CPU-bound ratio limit ${c16.ratioBound.toFixed(2)}`);
}

/** How switchboard's CPU per call compares with a whole direct call (client + upstream), and the ratio that allows. */
function cpuShares(c: ConcurrencyResult): { switchboardVsDirect: number; ratioBound: number } | undefined {
  const d = c.direct.cpuMsPerCall;
  const s = c.switchboard.cpuMsPerCall;
  if (!d || !s) return undefined;
  const directTotal = (d.bench ?? 0) + (d.upstream ?? 0);
  const viaTotal = (s.bench ?? 0) + (s.switchboard ?? 0) + (s.upstream ?? 0);
  return { switchboardVsDirect: (s.switchboard ?? 0) / directTotal, ratioBound: directTotal / viaTotal };
}

function concurrencyJson(c: ConcurrencyResult): Record<string, unknown> {
  const shares = cpuShares(c);
  return {
    direct: compact(c.direct),
    switchboard: compact(c.switchboard),
    ratio: round(c.ratio, 3),
    addedP50Ms: round(c.addedP50Ms, 3),
    roundRatios: c.roundRatios.map((r) => round(r, 3)),
    ...(shares && { switchboardCpuVsDirectCall: round(shares.switchboardVsDirect, 3), cpuBoundRatio: round(shares.ratioBound, 3) }),
  };
}

/** A tools/call part in the final JSON line; `met` holds the verdicts of that part's targets. */
function callsJson(calls: CallsResult, met: Record<string, boolean>): Record<string, unknown> {
  return {
    c1: concurrencyJson(calls.c1),
    c16: concurrencyJson(calls.c16),
    c16PassThrough: { direct: compact(calls.passThrough.direct), passThrough: compact(calls.passThrough.passThrough), ratio: round(calls.passThrough.ratio, 3), roundRatios: calls.passThrough.roundRatios.map((r) => round(r, 3)) },
    met,
    switchboardMemory: {
      beforeC16RssBytes: calls.memory.beforeC16.rssBytes,
      afterC16RssBytes: calls.memory.afterC16.rssBytes,
      afterC16ClosedRssBytes: calls.memory.afterC16Closed.rssBytes,
      beforeC16HeapUsedBytes: calls.memory.beforeC16.heapUsedBytes,
      afterC16HeapUsedBytes: calls.memory.afterC16.heapUsedBytes,
      afterC16ClosedHeapUsedBytes: calls.memory.afterC16Closed.heapUsedBytes,
    },
    maxListenersWarnings: calls.maxListenersWarnings,
    profileTop: calls.profile?.functions.slice(0, 10),
  };
}

/** Which switchboard was measured: others commit to src/ all day, so a figure needs its commit. */
function revision(): string | undefined {
  if (options.cli !== 'bin/switchboard.js') return undefined;
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit} + uncommitted changes in src/` : commit;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const cores = cpus();
  const loadAtStart = loadavg().map((l) => round(l));
  const started = performance.now();
  console.log(`switchboard bench · node ${process.version} · ${process.platform} ${process.arch} · ${cores.length} cores (${cores[0]?.model.trim() ?? 'unknown'}) · load average at start ${loadAtStart.join(' ')}`);
  console.log(`processes: mock upstream(s) in one child, switchboard CLI in another, load generator here: 3 event loops on ${cores.length} cores; the machine is shared, so ratios mean more than absolutes`);
  const measured = revision() ?? options.cli;
  console.log(`switchboard: ${measured}`);
  console.log(`timing: each target warmed ${warmupMs / 1000} s, then ${rounds} rounds of ${segmentMs / 1000} s segments ordered A B B A (${(2 * rounds * segmentMs) / 1000} s per target)`);

  let calls: CallsResult | undefined;
  if (options.only === 'all' || options.only === 'calls') {
    console.log('\ntools/call echo; c1 = 1 SDK Client session with 1 call in flight; c16 = 16 SDK Client sessions (one Client + transport each), 1 call in flight each');
    calls = await benchCalls('legacy');
    printCalls(calls, TARGETS);
  }

  let modern: CallsResult | undefined;
  if (options.only === 'all' || options.only === 'modern') {
    console.log(`\ntools/call echo, ${MODERN_PROTOCOL_VERSION} (modern client, modern-only upstream mock); c1 = 1 client with 1 call in flight; c16 = 16 clients, 1 call in flight each; a client is bare HTTP POSTs on its own keep-alive connection, no session`);
    modern = await benchCalls('modern');
    printCalls(modern, { c16RatioMin: TARGETS.modernC16RatioMin });
  }

  let list: ListResult | undefined;
  if (options.only === 'all' || options.only === 'list') {
    console.log(`\ntools/list over ${LIST_SERVERS} upstreams x ${LIST_TOOLS_PER_SERVER} tools, 1 warmed session, 1 list in flight`);
    list = await benchList();
    console.log(`${list.tools} tools, answer ${mb(list.answerBytes)} MB; ${list.upstreams} upstreams connected ${(list.upstreamsConnectedMs / 1000).toFixed(1)} s after start; first list of a new session ${list.firstListMs.toFixed(0)} ms`);
    console.log(`${''.padEnd(34)}${'lists/s'.padStart(8)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'lists'.padStart(9)}${'errors'.padStart(8)}`);
    console.log(`${row('switchboard, bare HTTP POST', list.switchboardRaw)}   target p50 <= ${TARGETS.listP50MsMax} ms: ${verdict(list.switchboardRaw.p50Ms <= TARGETS.listP50MsMax)}`);
    console.log(row('switchboard, SDK Client.listTools', list.switchboardSdk));
    console.log(row('reference: 1 mock, 5000 tools, bare', list.referenceRaw));
    console.log('(bare HTTP POST = time to the last byte of the answer; Client.listTools adds the client\'s SSE parsing, JSON.parse and schema validation)');
    const sbCpu = list.switchboardRaw.cpuMsPerCall?.switchboard;
    const refCpu = list.referenceRaw.cpuMsPerCall?.upstream;
    if (sbCpu !== undefined && refCpu !== undefined) console.log(`CPU ms per list: switchboard ${sbCpu.toFixed(1)}, reference mock ${refCpu.toFixed(1)}`);
    console.log(`switchboard RSS (heap used, no forced GC) with ${list.upstreams * 2} upstream connections (monitor + session): ${mb(list.memory.rssBytes)} MB (${mb(list.memory.heapUsedBytes)}); MaxListenersExceededWarning lines: switchboard ${list.maxListenersWarnings.switchboard}, upstreams ${list.maxListenersWarnings.upstream}`);
  }

  let sessions: SessionFigures | undefined;
  if (options.only === 'all' || options.only === 'sessions') {
    console.log(`\nsessions over ${SESSION_UPSTREAMS} public upstreams: ${SESSION_OPEN_SAMPLES} new sessions one at a time, then 2 rounds of ${sessionCount} sessions opened ${SESSION_CONCURRENCY} at a time (initialize + first tools/list each) and ended (DELETE); memory read after forced GC`);
    sessions = await benchSessionFigures();
    const reading = (m: MemoryReading): string => `RSS ${mb(m.rssBytes)} MB, heap used ${mb(m.heapUsedBytes)} MB, ${m.sessions} sessions, ${m.upstreamSessions} upstream sessions`;
    const [first, second] = sessions.rounds;
    const growth = secondRoundGrowth(sessions);
    console.log(`idle:                              ${reading(sessions.idle)}   target RSS <= ${TARGETS.idleRssMbMax} MB: ${verdict(mb(sessions.idle.rssBytes) <= TARGETS.idleRssMbMax)}`);
    console.log(`new session initialize + tools/list p50 ${sessions.open.p50Ms.toFixed(1)} ms, p99 ${sessions.open.p99Ms.toFixed(1)} ms   target p50 <= ${TARGETS.sessionOpenP50MsMax} ms: ${verdict(sessions.open.p50Ms <= TARGETS.sessionOpenP50MsMax)}`);
    console.log(`first lists that lacked an upstream's tools (its connection failed and was retried): ${sessions.shortLists} of ${SESSION_OPEN_SAMPLES} one at a time, ${first.shortLists} and ${second.shortLists} of ${sessionCount} in rounds 1 and 2`);
    console.log(`round 1, ${sessionCount} sessions open (${first.openSeconds.toFixed(1)} s to open): ${reading(first.withSessions)}   target RSS <= ${TARGETS.sessionsRssMbMax} MB: ${verdict(mb(first.withSessions.rssBytes) <= TARGETS.sessionsRssMbMax)}`);
    console.log(`round 1 ended:                     ${reading(first.afterEnd)}`);
    console.log(`round 2, ${sessionCount} sessions open (${second.openSeconds.toFixed(1)} s to open): ${reading(second.withSessions)}`);
    console.log(`round 2 ended:                     ${reading(second.afterEnd)}`);
    console.log(`second round needed ${mb(growth.rssBytes)} MB more RSS (heap used ${mb(growth.heapUsedBytes)} MB) than the first   target <= ${TARGETS.secondRoundGrowthMbMax} MB: ${verdict(mb(growth.rssBytes) <= TARGETS.secondRoundGrowthMbMax)}`);
    console.log(`and after it ended, ${mb(growth.afterEndRssBytes)} MB more RSS (heap used ${mb(growth.afterEndHeapUsedBytes)} MB) than after the first`);
  }

  for (const { title, summary } of profiles) printProfile(title, summary);
  const loadAtEnd = loadavg().map((l) => round(l));
  console.log(`\nbench process MaxListenersExceededWarning: ${benchWarnings}; load average at end ${loadAtEnd.join(' ')}; took ${((performance.now() - started) / 1000).toFixed(0)} s`);
  console.log(JSON.stringify({
    machine: { node: process.version, cores: cores.length, cpu: cores[0]?.model.trim(), loadAtStart, loadAtEnd },
    method: { switchboard: measured, warmupMs, segmentMs, rounds, order: 'ABBA', c16Clients: 16, c16Sessions: 16 },
    targets: TARGETS,
    calls: calls && callsJson(calls, { c16Ratio: calls.c16.ratio >= TARGETS.c16RatioMin, c1AddedP50: calls.c1.addedP50Ms <= TARGETS.c1AddedP50MsMax }),
    modernCalls: modern && callsJson(modern, { c16Ratio: modern.c16.ratio >= TARGETS.modernC16RatioMin }),
    list: list && {
      upstreams: list.upstreams,
      tools: list.tools,
      answerBytes: list.answerBytes,
      upstreamsConnectedMs: round(list.upstreamsConnectedMs, 0),
      firstListMs: round(list.firstListMs, 1),
      switchboardRaw: compact(list.switchboardRaw),
      switchboardSdk: compact(list.switchboardSdk),
      referenceRaw: compact(list.referenceRaw),
      met: { p50: list.switchboardRaw.p50Ms <= TARGETS.listP50MsMax },
      switchboardRssBytes: list.memory.rssBytes,
      switchboardHeapUsedBytes: list.memory.heapUsedBytes,
      maxListenersWarnings: list.maxListenersWarnings,
      profileTop: list.profile?.functions.slice(0, 10),
    },
    sessions: sessions && {
      upstreams: sessions.upstreams,
      sessions: sessions.sessions,
      concurrency: sessions.concurrency,
      open: compact(sessions.open),
      idle: readingJson(sessions.idle),
      shortLists: sessions.shortLists,
      rounds: sessions.rounds.map((r) => ({ openSeconds: round(r.openSeconds, 1), shortLists: r.shortLists, withSessions: readingJson(r.withSessions), afterEnd: readingJson(r.afterEnd) })),
      secondRoundGrowth: secondRoundGrowth(sessions),
      met: {
        rss: mb(sessions.rounds[0].withSessions.rssBytes) <= TARGETS.sessionsRssMbMax,
        openP50: sessions.open.p50Ms <= TARGETS.sessionOpenP50MsMax,
        secondRoundGrowth: mb(secondRoundGrowth(sessions).rssBytes) <= TARGETS.secondRoundGrowthMbMax,
        idleRss: mb(sessions.idle.rssBytes) <= TARGETS.idleRssMbMax,
      },
    },
    benchMaxListenersWarnings: benchWarnings,
  }));
}

try {
  await main();
  await stopAllChildren();
  process.exit(0);
} catch (error) {
  console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await stopAllChildren();
  process.exit(1);
}
