import { performance } from 'node:perf_hooks';
import { Inspector } from './inspector.js';
import { closeSession, openSession, summarize, type BenchSession, type Summary } from './load.js';
import type { SwitchboardProcess } from './switchboard.js';

/** What switchboard holds, read in its own process right after two forced full garbage collections. */
export interface MemoryReading {
  rssBytes: number;
  heapUsedBytes: number;
  /** Open sessions by switchboard's /readyz, and MCP sessions the upstream mocks hold (switchboard's connections). */
  sessions: number;
  upstreamSessions: number;
}

export interface RoundFigures {
  /** Wall time to open every session of the round (initialize + first tools/list each). */
  openSeconds: number;
  /** Sessions whose first tools/list lacked the tools of an upstream whose connection failed (see shortLists). */
  shortLists: number;
  withSessions: MemoryReading;
  afterEnd: MemoryReading;
}

export interface SessionFigures {
  sessions: number;
  upstreams: number;
  concurrency: number;
  idle: MemoryReading;
  /** A new session's initialize + first tools/list, one at a time, on a switchboard whose upstreams are connected. */
  open: Summary;
  rounds: [RoundFigures, RoundFigures];
  /** The one-at-a-time sessions whose first tools/list lacked some upstream's tools. */
  shortLists: number;
}

export interface SessionBenchOptions {
  switchboard: SwitchboardProcess;
  /** Answers `{"sessions": N}`: the MCP sessions the upstream mocks hold. */
  upstreamStatsUrl: string;
  upstreams: number;
  sessions: number;
  concurrency: number;
  openSamples: number;
  /** Bound on each round; a round that takes longer fails the bench instead of running on. */
  roundTimeoutMs: number;
}

const SETTLE_TIMEOUT_MS = 10_000;

async function until(deadline: number, what: string, check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`sessions bench: ${what} did not happen in time`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The cost of sessions, as issue 6 measures it: memory with N legacy sessions open over M public upstreams, the
 * latency of opening one, and whether a second round of N sessions, after the first has ended, needs more memory
 * than the first did (it must not: an ended session releases what it held).
 */
export async function benchSessions(options: SessionBenchOptions): Promise<SessionFigures> {
  const sb = options.switchboard;
  if (!sb.inspectorUrl) throw new Error('sessions bench: switchboard must run with its inspector open');
  const inspector = await Inspector.connect(sb.inspectorUrl);
  const openSessions = async (): Promise<number> => ((await (await fetch(`${sb.base}/readyz`)).json()) as { sessions: number }).sessions;
  const upstreamSessions = async (): Promise<number> => ((await (await fetch(options.upstreamStatsUrl)).json()) as { sessions: number }).sessions;
  const read = async (): Promise<MemoryReading> => {
    await inspector.collectGarbage();
    const memory = await inspector.evaluate<{ rss: number; heapUsed: number }>('({ rss: process.memoryUsage().rss, heapUsed: process.memoryUsage().heapUsed })');
    return { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, sessions: await openSessions(), upstreamSessions: await upstreamSessions() };
  };
  /** Once switchboard holds no session, the upstreams must soon hold only the monitor's connections. */
  const settle = async (baseline: number): Promise<void> => {
    const deadline = performance.now() + SETTLE_TIMEOUT_MS;
    await until(deadline, 'switchboard closing every session', async () => (await openSessions()) === 0);
    await until(deadline, 'the upstream sessions ending', async () => (await upstreamSessions()) <= baseline).catch(() => {});
  };
  /**
   * A session whose first list lacks tools is counted, not fatal: on a loaded machine an upstream connection of the
   * session can fail (a keep-alive socket the upstream closed while it was being reused) and is retried with backoff.
   */
  let shortLists = 0;
  const openOne = async (): Promise<BenchSession> => {
    const session = await openSession(sb.url);
    const { tools } = await session.client.listTools();
    if (tools.length > options.upstreams) throw new Error(`sessions bench: a new session listed ${tools.length} tools, expected ${options.upstreams}`);
    if (tools.length < options.upstreams) shortLists++;
    return session;
  };
  try {
    const idle = await read();
    const latencies: number[] = [];
    for (let i = 0; i < options.openSamples; i++) {
      const started = performance.now();
      const session = await openOne();
      latencies.push(performance.now() - started);
      await closeSession(session);
    }
    await settle(idle.upstreamSessions);
    const open = summarize([{ latenciesMs: latencies, errors: 0, seconds: 0, started: latencies.length }]);
    const openShortLists = shortLists;

    const rounds: RoundFigures[] = [];
    for (let round = 0; round < 2; round++) {
      const started = performance.now();
      const deadline = started + options.roundTimeoutMs;
      shortLists = 0;
      const sessions: BenchSession[] = [];
      while (sessions.length < options.sessions) {
        if (performance.now() > deadline) throw new Error(`sessions bench: round ${round + 1} opened only ${sessions.length} of ${options.sessions} sessions in ${options.roundTimeoutMs} ms`);
        const batch = Math.min(options.concurrency, options.sessions - sessions.length);
        sessions.push(...(await Promise.all(Array.from({ length: batch }, openOne))));
      }
      const openSeconds = (performance.now() - started) / 1000;
      const withSessions = await read();
      for (let i = 0; i < sessions.length; i += options.concurrency) await Promise.all(sessions.slice(i, i + options.concurrency).map(closeSession));
      await settle(idle.upstreamSessions);
      rounds.push({ openSeconds, shortLists, withSessions, afterEnd: await read() });
    }
    return { sessions: options.sessions, upstreams: options.upstreams, concurrency: options.concurrency, idle, open, rounds: rounds as [RoundFigures, RoundFigures], shortLists: openShortLists };
  } finally {
    inspector.close();
  }
}
