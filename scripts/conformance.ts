/**
 * Runs the official MCP conformance suite (@modelcontextprotocol/conformance) against switchboard, in two releases:
 * 0.1.16 for MCP 2025-11-25 (the legacy era: initialize, sessions) and 0.2.x for 2026-07-28 (the modern, stateless
 * era). Each runs its scenarios for that revision, at that revision's wire, in both modes.
 *
 *   npm run conformance                          # every release and mode: 0.1 server, 0.1 client, 0.2 server, 0.2 client
 *   npm run conformance -- --suite-version 0.2   # one release only
 *   npm run conformance -- --mode server         # switchboard as an MCP server, every server scenario of the revision
 *   npm run conformance -- --suite-version 0.1 --mode server --scenario tools-call-with-progress --verbose
 *   npm run conformance -- --mode client         # switchboard as the client of its upstreams (core, auth, backcompat)
 *   npm run conformance -- --suite-version 0.2 --mode client --scenario auth/iss-supported --verbose
 *
 * Server mode: the fixture upstream (mock-servers/conformance) runs in this process on a free port; switchboard runs
 * as a child (`src/cli.ts serve`) with the fixture as its only upstream, unprefixed, so the suite sees the tool,
 * resource and prompt names it expects; the suite then talks to switchboard only.
 *
 * Client mode: the suite starts its own protected MCP servers and authorization servers, and for each scenario runs
 * scripts/conformance-client.ts, which drives switchboard's upstream connector and OAuth code (see that file).
 *
 * Which scenarios: every scenario of the release for its revision (`--suite all --spec-version <revision>`: the
 * active, pending and draft ones), which leaves out only the extensions (off the spec's timeline: the tasks extension,
 * client-credentials, cross-app access, DPoP, workload identity, skills), none of which switchboard implements. In
 * client mode the same set, as `list --client --spec-version <revision>` names it, runs one suite process per
 * scenario, several at a time, and the scenarios whose checks measure time (sse-retry) run alone after the others.
 *
 * The suite needs Node >= 22. Both releases (as the npm aliases conformance-0.1 and conformance-0.2) and, on an older
 * Node, the npm package `node@22` are installed once into .conformance/ (gitignored). Results, the suite's output,
 * switchboard's config and log go to reports/conformance/<release>/<mode>/ (gitignored, replaced by each run).
 *
 * Prints one line per release and mode, `conformance <version> <mode>: N passed, N failed` (.ci/run adds them up); a
 * run that could not happen prints its line with one failure.
 *
 * Exit status: 0 when every scenario passed or failed only as scripts/conformance-baseline.json expects; 1 on a
 * failure not in the baseline or on a baseline entry that passes now (stale); 2 when a run itself could not happen.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startConformanceFixture, startModernConformanceFixture } from '../mock-servers/conformance/index.js';

const SUITE_PACKAGE = '@modelcontextprotocol/conformance';
const NODE_MAJOR = 22;

/** A release of the suite, installed under its own npm alias beside the other. */
interface SuiteRelease {
  alias: string;
  version: string;
  /** The MCP revision it is run for: its scenarios for that revision, at that revision's wire. */
  revision: '2025-11-25' | '2026-07-28';
  /** Client suites run besides the revision's scenarios (`--spec-version` leaves out scenarios of older revisions). */
  extraClientSuites?: readonly string[];
  /**
   * Extension scenarios (off the spec's timeline, so not among the revision's) for grants switchboard implements
   * upstream: client credentials (SEP-1046, `auth.type: client_credentials`) and cross-app access (SEP-990,
   * `crossAppAccess`), by this release's names.
   */
  extensionClientScenarios: readonly string[];
}

const RELEASES: readonly SuiteRelease[] = [
  // backcompat: authorization as 2025-03-26 servers do it (no protected resource metadata), still met by our client.
  {
    alias: 'conformance-0.1', version: '0.1.16', revision: '2025-11-25', extraClientSuites: ['backcompat'],
    extensionClientScenarios: ['auth/client-credentials-basic', 'auth/client-credentials-jwt', 'auth/cross-app-access-complete-flow'],
  },
  {
    alias: 'conformance-0.2', version: '0.2.0-alpha.12', revision: '2026-07-28',
    extensionClientScenarios: ['auth/client-credentials-basic', 'auth/client-credentials-jwt', 'auth/enterprise-managed-authorization'],
  },
];

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOOLS_DIR = join(ROOT, '.conformance');
const REPORTS_DIR = join(ROOT, 'reports', 'conformance');
const BASELINE_FILE = join(ROOT, 'scripts', 'conformance-baseline.json');

const READY_TIMEOUT_MS = 30_000;
const SUITE_TIMEOUT_MS = 10 * 60_000;
const STOP_GRACE_MS = 5_000;

const MODES = ['server', 'client'] as const;
type Mode = (typeof MODES)[number];

const USAGE = `usage: npm run conformance -- [--suite-version ${RELEASES.map((r) => r.version.split('.').slice(0, 2).join('.')).join('|')}|all] [--mode server|client|all] [--scenario NAME] [--verbose]

  --suite-version  which release of the suite (default: all)
  --mode           which side of switchboard to test (default: all implemented modes)
  --scenario       run one scenario only (its release and mode must be given)
  --verbose        show the suite's own output as it runs`;

class UsageError extends Error {}
/** The run could not happen (install failed, switchboard did not start, the suite crashed). */
class SetupError extends Error {}

// --- the suite ---

interface Suite {
  release: SuiteRelease;
  /** A Node >= 22 binary. */
  node: string;
  /** The release's CLI entry (dist/index.js). */
  cli: string;
}

function nodeMajor(binary: string): number | undefined {
  try {
    return Number(/^v(\d+)\./.exec(execFileSync(binary, ['--version'], { encoding: 'utf8' }))?.[1]);
  } catch {
    return undefined;
  }
}

function installedVersion(release: SuiteRelease): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(TOOLS_DIR, 'node_modules', release.alias, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

function run(command: string, args: string[], options: { cwd: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    // npm's progress goes to stderr, so stdout stays ours.
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', process.stderr, process.stderr] });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

/**
 * Installs both releases of the suite (and Node 22 when this Node is older) into .conformance/ unless they are there.
 * The `node` package downloads its binary in a preinstall script; npm 11 runs install scripts of dependencies only
 * with a notice unless a project's `allowScripts` names them (and refuses under strict-allow-scripts), so the cache's
 * own package.json approves exactly that one package.
 */
async function ensureSuites(): Promise<Suite[]> {
  const cli = (release: SuiteRelease) => join(TOOLS_DIR, 'node_modules', release.alias, 'dist', 'index.js');
  const cachedNode = join(TOOLS_DIR, 'node_modules', 'node', 'bin', 'node');
  const ownNodeIsEnough = Number(process.versions.node.split('.')[0]) >= NODE_MAJOR;
  const node = ownNodeIsEnough ? process.execPath : cachedNode;
  const nodeReady = ownNodeIsEnough || (existsSync(cachedNode) && nodeMajor(cachedNode) === NODE_MAJOR);
  const suites = RELEASES.map((release) => ({ release, node, cli: cli(release) }));
  if (nodeReady && RELEASES.every((release) => installedVersion(release) === release.version && existsSync(cli(release)))) return suites;

  const packages = [...RELEASES.map((release) => `${release.alias}@npm:${SUITE_PACKAGE}@${release.version}`), ...(ownNodeIsEnough ? [] : [`node@${NODE_MAJOR}`])];
  console.error(`conformance: installing ${packages.join(' and ')} into .conformance/ (once)`);
  mkdirSync(TOOLS_DIR, { recursive: true });
  const manifestFile = join(TOOLS_DIR, 'package.json');
  const manifest = existsSync(manifestFile) ? (JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, unknown>) : {};
  const manifestOut = {
    name: 'switchboard-conformance-tools',
    private: true,
    description: 'Cache for scripts/conformance.ts; safe to delete.',
    ...manifest,
    allowScripts: { ...(manifest.allowScripts as Record<string, boolean> | undefined), node: true },
  };
  writeFileSync(manifestFile, `${JSON.stringify(manifestOut, null, 2)}\n`);
  const code = await run('npm', ['install', '--prefix', TOOLS_DIR, '--no-audit', '--no-fund', '--save-exact', ...packages], { cwd: TOOLS_DIR });
  if (code !== 0) throw new SetupError(`npm install of ${packages.join(', ')} into .conformance/ failed (exit ${code})`);
  for (const release of RELEASES) if (!existsSync(cli(release))) throw new SetupError(`${cli(release)} is missing after npm install`);
  if (!ownNodeIsEnough && nodeMajor(cachedNode) !== NODE_MAJOR) {
    throw new SetupError(`${cachedNode} is not Node ${NODE_MAJOR} after npm install: did the "node" package's preinstall script run?`);
  }
  return suites;
}

// --- processes ---

/** Children this run started; all are stopped at the end, on failure and on Ctrl-C. */
class Children {
  private readonly running = new Set<ChildProcess>();

  add(child: ChildProcess): ChildProcess {
    this.running.add(child);
    child.once('exit', () => this.running.delete(child));
    return child;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running].map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    })));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// --- results and the baseline ---

interface ScenarioOutcome {
  scenario: string;
  passed: boolean;
  /** Checks of the scenario by status (SUCCESS, FAILURE, WARNING, INFO...). */
  counts: Record<string, number>;
  /** One line per failed check: its id and error message. */
  failures: string[];
}

const baselineEntry = z.strictObject({
  scenario: z.string().min(1),
  reason: z.string().min(10, 'each baseline entry needs the reason it truly cannot pass'),
});
const baselineModes = z.strictObject({
  server: z.array(baselineEntry).default([]),
  client: z.array(baselineEntry).default([]),
});
/** Per MCP revision (the release's `revision`), per mode. */
const baselineSchema = z.looseObject(Object.fromEntries(RELEASES.map((release) => [release.revision, baselineModes.prefault({})])));
type Baseline = Record<SuiteRelease['revision'], z.infer<typeof baselineModes>>;

function loadBaseline(): Baseline {
  if (!existsSync(BASELINE_FILE)) return baselineSchema.parse({}) as Baseline;
  const parsed = baselineSchema.safeParse(JSON.parse(readFileSync(BASELINE_FILE, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`${BASELINE_FILE}: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return parsed.data as Baseline;
}

/** The line .ci/run counts, one per release and mode. */
function countLine(release: SuiteRelease, mode: Mode, passed: number, failed: number, note = ''): void {
  console.log(`conformance ${release.version} ${mode}: ${passed} passed, ${failed} failed${note}`);
}

/** Prints one mode's results; returns whether they are acceptable (no unexpected failure, no stale baseline entry). */
function report(release: SuiteRelease, mode: Mode, outcomes: ScenarioOutcome[], baseline: Baseline, elapsedMs: number): boolean {
  const expected = new Map(baseline[release.revision][mode].map((entry) => [entry.scenario, entry.reason]));
  let unexpected = 0;
  let stale = 0;
  for (const outcome of outcomes) {
    const reason = expected.get(outcome.scenario);
    const warnings = outcome.counts.WARNING ? ` (${outcome.counts.WARNING} warning${outcome.counts.WARNING > 1 ? 's' : ''})` : '';
    if (outcome.passed) {
      console.log(`  ✓ ${outcome.scenario}${warnings}${reason ? '  <- passes, but is in the baseline: remove it' : ''}`);
      if (reason) stale++;
      continue;
    }
    console.log(`  ${reason ? '~' : '✗'} ${outcome.scenario}${reason ? `  (baseline: ${reason})` : ''}`);
    for (const failure of outcome.failures) console.log(`      ${failure}`);
    if (!reason) unexpected++;
  }
  const ran = new Set(outcomes.map((o) => o.scenario));
  for (const name of expected.keys()) if (!ran.has(name)) console.log(`  (baseline entry "${name}" did not run)`);

  const passed = outcomes.filter((o) => o.passed).length;
  const failed = outcomes.length - passed;
  if (failed > unexpected) console.log(`${failed - unexpected} of the failures are in the baseline`);
  if (stale) console.log(`${stale} baseline entr${stale > 1 ? 'ies pass' : 'y passes'} now: remove ${stale > 1 ? 'them' : 'it'} from ${BASELINE_FILE}`);
  console.log(`took ${(elapsedMs / 1000).toFixed(1)} s; results in ${reportsDir(release, mode)}`);
  countLine(release, mode, passed, failed);
  return unexpected === 0 && stale === 0;
}

/** The suite writes checks.json to <out>/<prefix>-<scenario>-<ISO timestamp with : and . as ->/. */
function readChecks(outputDir: string, prefix: string): Map<string, { status: string; id: string; errorMessage?: string }[]> {
  const byScenario = new Map<string, { status: string; id: string; errorMessage?: string }[]>();
  const name = new RegExp(`^${prefix}-(.+)-\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}-\\d{3}Z$`);
  for (const entry of existsSync(outputDir) ? readdirSync(outputDir) : []) {
    const scenario = name.exec(entry)?.[1];
    const file = join(outputDir, entry, 'checks.json');
    if (scenario && existsSync(file)) byScenario.set(scenario, JSON.parse(readFileSync(file, 'utf8')));
  }
  return byScenario;
}

// --- modes ---

function reportsDir(release: SuiteRelease, mode: Mode): string {
  return join(REPORTS_DIR, release.version, mode);
}

interface ModeOptions {
  suite: Suite;
  children: Children;
  scenario?: string;
  verbose: boolean;
}

type ModeRunner = (options: ModeOptions) => Promise<ScenarioOutcome[]>;

/** Runs the suite's CLI to completion, its output to `logFile` (and to the console with --verbose). */
function runSuite(options: ModeOptions, args: string[], logFile: string, cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = options.children.add(spawn(options.suite.node, [options.suite.cli, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (options.verbose) process.stdout.write(chunk);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), SUITE_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      writeFileSync(logFile, output);
      if (signal) reject(new SetupError(`the conformance suite was killed by ${signal} (it gets ${SUITE_TIMEOUT_MS / 1000} s); its output: ${logFile}`));
      else resolve({ code: code ?? 1, output });
    });
  });
}

/** Starts switchboard (`src/cli.ts serve`) and waits until /readyz shows each of `servers` connected. */
async function startSwitchboard(children: Children, configFile: string, logFile: string, servers: readonly string[]): Promise<string> {
  const port = await freePort();
  const log = openSync(logFile, 'w');
  const child = children.add(spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--config', configFile, '--port', String(port)], {
    cwd: ROOT,
    stdio: ['ignore', log, log],
  }));
  closeSync(log);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new SetupError(`switchboard exited (${child.exitCode}) before it was ready:\n${tail(logFile)}`);
    try {
      const response = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2_000) });
      const body = (await response.json()) as { servers?: Record<string, { state?: string; detail?: string }> };
      const waiting = servers.filter((server) => body.servers?.[server]?.state !== 'connected');
      if (waiting.length === 0) return `${base}/mcp`;
      last = waiting.map((server) => {
        const state = body.servers?.[server];
        return `${server}: ${state?.state ?? 'not listed'}${state?.detail ? ` (${state.detail})` : ''}`;
      }).join('; ');
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(100);
  }
  throw new SetupError(`switchboard at ${base} was not ready with ${servers.join(' and ')} connected within ${READY_TIMEOUT_MS / 1000} s (${last}); log: ${logFile}`);
}

/**
 * Server mode: switchboard as the MCP server under test, with the conformance fixture as its upstreams: the 2025-era
 * part (server.ts, reached in the legacy era) and the 2026-07-28 part (modern.ts: input-required results, stateless
 * diagnostics, x-mcp-header), both unprefixed, so the suite sees the names it expects from one server.
 * `conformance server` runs the revision's scenarios (or one) and writes one checks.json per scenario.
 */
const runServerMode: ModeRunner = async (options) => {
  const { release } = options.suite;
  const reports = reportsDir(release, 'server');
  rmSync(reports, { recursive: true, force: true });
  mkdirSync(reports, { recursive: true });
  const results = join(reports, 'results');
  const fixture = await startConformanceFixture();
  const modern = await startModernConformanceFixture();
  try {
    const upstreams = { conformance: fixture.url, 'conformance-2026': modern.url };
    // Kept beside the results (the fixture's ports change per run), so a failure can be replayed by hand.
    const configFile = join(reports, 'switchboard.json');
    const mcpServers = Object.fromEntries(Object.entries(upstreams).map(([name, url]) => [name, { url, prefix: false }]));
    writeFileSync(configFile, JSON.stringify({ mcpServers, log: { level: 'info' } }, null, 2));
    const url = await startSwitchboard(options.children, configFile, join(reports, 'switchboard.log'), Object.keys(upstreams));
    console.log(`conformance ${release.version} server (MCP ${release.revision}): suite -> switchboard ${url} -> fixture ${fixture.url} and ${modern.url}`);

    const selection = options.scenario ? ['--scenario', options.scenario] : ['--suite', 'all'];
    const args = ['server', '--url', url, '--output-dir', results, ...selection, '--spec-version', release.revision];
    const suiteLog = join(reports, 'suite.log');
    const { code, output } = await runSuite(options, args, suiteLog, reports);
    // Every scenario the suite started announces itself, also the ones that threw before writing checks.json.
    const started = [...output.matchAll(/^Running client scenario '([^']+)' against server/gm)].map((m) => m[1]!);
    if (started.length === 0) throw new SetupError(`the suite ran no scenario (exit ${code}):\n${tail(suiteLog)}`);
    const checks = readChecks(results, 'server');
    return started.map((scenario): ScenarioOutcome => {
      const list = checks.get(scenario);
      if (!list) return { scenario, passed: false, counts: {}, failures: [`the scenario did not finish; see ${suiteLog}`] };
      const counts: Record<string, number> = {};
      for (const check of list) counts[check.status] = (counts[check.status] ?? 0) + 1;
      const failures = list.filter((c) => c.status === 'FAILURE').map((c) => `${c.id}: ${c.errorMessage ?? 'failed'}`);
      return { scenario, passed: failures.length === 0, counts, failures };
    });
  } finally {
    await options.children.stopAll();
    await fixture.close();
    await modern.close();
  }
};

/** Each client scenario runs its own switchboard; on 2 busy cores a scenario may wait a while for its turn. */
const CLIENT_TIMEOUT_MS = 120_000;
/**
 * Client scenarios run at once (each is a suite process, a switchboard and the suite's servers, ~250 MB). Most of a
 * scenario's time is waiting (sign-ins settling, retries), not CPU: at 6 the 2026-07-28 run took 5 min for about
 * 2 min of CPU; the suite's own `--suite all` runs every scenario at once.
 */
const CLIENT_CONCURRENCY = 12;

/**
 * Client scenarios whose checks measure time: sse-retry checks that the client waits the SSE `retry` it was given
 * (500 ms, within a tolerance) before it reconnects. Among the other scenarios on 2 cores a reconnection came after
 * 1091 ms: the machine's load, not the client, decided the result. These run after the others, one at a time, with
 * nothing else of the run beside them.
 */
const TIMING_SENSITIVE_CLIENT_SCENARIOS: ReadonlySet<string> = new Set(['sse-retry']);

/** The client scenarios of a revision, as the suite lists them (`list --client --spec-version`). */
async function listClientScenarios(options: ModeOptions): Promise<string[]> {
  const listing = execFileSync(options.suite.node, [options.suite.cli, 'list', '--client', '--spec-version', options.suite.release.revision], { encoding: 'utf8' });
  const names = [...listing.matchAll(/^\s+- (\S+)/gm)].map((m) => m[1]!);
  if (names.length === 0) throw new SetupError(`the suite listed no client scenarios for ${options.suite.release.revision}:\n${listing}`);
  return names;
}

/**
 * Runs `selections` (each one suite invocation) at most `concurrency` at a time; returns the scenarios each started.
 * The slowest few are named, with their times, to show where the run's minutes go.
 */
async function runClientSelections(options: ModeOptions, command: string[], selections: string[][], concurrency: number, reports: string, results: string): Promise<string[]> {
  const started: string[][] = [];
  const took: { label: string; ms: number }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < selections.length) {
      const index = next++;
      const selection = selections[index]!;
      const label = selection.slice(0, 2).join('-').replace(/\W+/g, '-').replace(/^-+/, '');
      const args = ['client', '--command', command.join(' '), ...selection, '--timeout', String(CLIENT_TIMEOUT_MS), '--output-dir', results];
      const suiteLog = join(reports, `suite-${label}.log`);
      const begun = performance.now();
      const { code, output } = await runSuite(options, args, suiteLog, reports);
      took.push({ label: selection[1]!, ms: performance.now() - begun });
      // --suite prints "✓ name: N passed, ..." per scenario; --scenario prints "Starting scenario: name".
      const names = selection[0] === '--scenario'
        ? [...output.matchAll(/^Starting scenario: (\S+)/gm)].map((m) => m[1]!)
        : [...output.matchAll(/^[✓✗] (\S+): \d+ passed/gm)].map((m) => m[1]!);
      if (names.length === 0) throw new SetupError(`the suite ran no scenario for ${selection.join(' ')} (exit ${code}):\n${tail(suiteLog)}`);
      started[index] = names;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, selections.length) }, worker));
  const slowest = took.sort((a, b) => b.ms - a.ms).slice(0, 3).map((t) => `${t.label} ${(t.ms / 1000).toFixed(1)} s`);
  if (slowest.length > 0) console.log(`  slowest${concurrency === 1 ? ' (run alone)' : ''}: ${slowest.join(', ')}`);
  return started.flat();
}

/**
 * The suite writes <out>/<scenario>-<ISO timestamp>/checks.json, and client scenario names have a slash
 * ("auth/basic-cimd"), so the files are one level deeper than in server mode.
 */
function readClientChecks(outputDir: string): Map<string, { status: string; id: string; errorMessage?: string; description?: string }[]> {
  const byScenario = new Map<string, { status: string; id: string; errorMessage?: string; description?: string }[]>();
  const stamp = /-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;
  const walk = (dir: string, prefix: string) => {
    for (const entry of existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []) {
      if (!entry.isDirectory()) continue;
      const file = join(dir, entry.name, 'checks.json');
      if (stamp.test(entry.name) && existsSync(file)) byScenario.set(`${prefix}${entry.name.replace(stamp, '')}`, JSON.parse(readFileSync(file, 'utf8')));
      else walk(join(dir, entry.name), `${prefix}${entry.name}/`);
    }
  };
  walk(outputDir, '');
  return byScenario;
}

/**
 * Client mode: switchboard's own upstream connector and OAuth code against the suite's mock MCP and authorization
 * servers. For each scenario the suite runs scripts/conformance-client.ts (switchboard in-process, the scenario's
 * server as its only upstream, an MCP session that signs in through switchboard's authenticate tool and callback).
 * A scenario passes, as in the suite's own summary, when it has neither a FAILURE nor a WARNING check.
 */
const runClientMode: ModeRunner = async (options) => {
  const { release } = options.suite;
  const reports = reportsDir(release, 'client');
  rmSync(reports, { recursive: true, force: true });
  mkdirSync(reports, { recursive: true });
  const results = join(reports, 'results');
  // The suite splits the command on spaces and runs it through a shell, appending the server URL.
  const tsx = fileURLToPath(import.meta.resolve('tsx'));
  const command = [process.execPath, '--import', tsx, join(ROOT, 'scripts', 'conformance-client.ts')];
  if (command.some((part) => /[\s'"$`\\]/.test(part))) throw new SetupError(`the client command cannot be passed through the suite's shell: ${command.join(' ')}`);
  console.log(`conformance ${release.version} client (MCP ${release.revision}): suite -> ${command.slice(3).join(' ').replace(ROOT, '')} (switchboard in-process, Node ${process.versions.node})`);

  const revision = release.revision;
  const scenarios = options.scenario ? [options.scenario] : await listClientScenarios(options);
  // An extension scenario is on no revision's timeline: the suite skips it under --spec-version.
  const bySelf = (name: string) => ['--scenario', name, ...(release.extensionClientScenarios.includes(name) ? [] : ['--spec-version', revision])];
  const together = [
    ...scenarios.filter((name) => !TIMING_SENSITIVE_CLIENT_SCENARIOS.has(name)).map(bySelf),
    ...(options.scenario ? [] : release.extraClientSuites ?? []).map((suite) => ['--suite', suite]),
    ...(options.scenario ? [] : release.extensionClientScenarios).map(bySelf),
  ];
  const alone = scenarios.filter((name) => TIMING_SENSITIVE_CLIENT_SCENARIOS.has(name)).map(bySelf);
  const started = [
    ...await runClientSelections(options, command, together, CLIENT_CONCURRENCY, reports, results),
    ...await runClientSelections(options, command, alone, 1, reports, results),
  ];
  const checks = readClientChecks(results);
  return started.map((scenario): ScenarioOutcome => {
    const list = checks.get(scenario);
    if (!list) return { scenario, passed: false, counts: {}, failures: [`the scenario did not finish; see ${reports}`] };
    const counts: Record<string, number> = {};
    for (const check of list) counts[check.status] = (counts[check.status] ?? 0) + 1;
    const failures = list
      .filter((c) => c.status === 'FAILURE' || c.status === 'WARNING')
      .map((c) => `${c.status === 'WARNING' ? 'warning ' : ''}${c.id}: ${c.errorMessage ?? c.description ?? 'failed'}`);
    return { scenario, passed: failures.length === 0, counts, failures };
  });
};

/** One runner per mode; `--mode all` runs every one registered here. */
const RUNNERS: Partial<Record<Mode, ModeRunner>> = {
  server: runServerMode,
  client: runClientMode,
};

// --- main ---

function releaseLabel(release: SuiteRelease): string {
  return release.version.split('.').slice(0, 2).join('.');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'suite-version': { type: 'string', default: 'all' },
      mode: { type: 'string', default: 'all' },
      scenario: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const wanted = values['suite-version'];
  const releases = wanted === 'all' ? RELEASES : RELEASES.filter((release) => releaseLabel(release) === wanted || release.version === wanted);
  if (releases.length === 0) throw new UsageError(`--suite-version: expected ${RELEASES.map(releaseLabel).join(', ')} or all, got "${wanted}"`);
  const requested = values.mode;
  if (requested !== 'all' && !(MODES as readonly string[]).includes(requested)) throw new UsageError(`--mode: expected server, client or all, got "${requested}"`);
  if (values.scenario && (requested === 'all' || releases.length !== 1)) throw new UsageError('--scenario needs --suite-version and --mode server or --mode client');
  const modes = requested === 'all' ? MODES.filter((mode) => RUNNERS[mode]) : [requested as Mode];
  for (const mode of modes) if (!RUNNERS[mode]) throw new UsageError(`--mode ${mode}: not implemented yet (see RUNNERS in scripts/conformance.ts)`);
  if (requested === 'all') for (const mode of MODES.filter((m) => !RUNNERS[m])) console.log(`conformance ${mode}: not implemented yet, not run`);

  const baseline = loadBaseline();
  const suites = (await ensureSuites()).filter((suite) => releases.includes(suite.release));
  const children = new Children();
  const interrupt = () => void children.stopAll().then(() => process.exit(130));
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  let ok = true;
  let broken = false;
  for (const suite of suites) {
    for (const mode of modes) {
      const started = performance.now();
      try {
        const outcomes = await RUNNERS[mode]!({ suite, children, scenario: values.scenario, verbose: values.verbose });
        ok = report(suite.release, mode, outcomes, baseline, performance.now() - started) && ok;
      } catch (error) {
        if (!(error instanceof SetupError)) throw error;
        // One run that could not happen must not hide the others' results; it counts as a failure.
        console.error(`conformance ${suite.release.version} ${mode}: ${error.message}`);
        countLine(suite.release, mode, 0, 1, ` (the run could not happen, after ${((performance.now() - started) / 1000).toFixed(1)} s)`);
        broken = true;
      }
    }
  }
  return broken ? 2 : ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`conformance: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof UsageError) console.error(USAGE);
    process.exit(2);
  },
);
