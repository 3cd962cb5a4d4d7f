import { createServer } from 'node:net';
import { After, setDefaultTimeout, setWorldConstructor, World, type IWorldOptions } from '@cucumber/cucumber';
import { loadConfigFile, parseConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log/index.js';
import { serveHttp, type RunningHttp } from '../../src/switchboard.js';
import { startMockMcpServer, stdioCommand, type MockEra, type MockMcpServer, type MockMcpSpec } from '../../mock-servers/mcp/index.js';
import { buildSwitchboard, npmFreeEnv, ScenarioFiles, SWITCHBOARD_BIN, REPO_ROOT, type ProcessOutcome } from './cli.js';
import { referenceStdioCommand, startReferenceServer, type RunningReferenceServer } from './reference-server.js';
import { TestClient, type ClientBehaviour, type ClientEra } from './client.js';
import { sendHttp, type HttpAnswer, type HttpRequestInit } from './http.js';

setDefaultTimeout(60_000);

/** SWITCHBOARD_SECRET of scenarios that keep tokens in Redis (which requires one of at least 32 characters). */
const SCENARIO_SECRET = 'bdd-scenario-secret-0123456789-abcdefghij';

export type UpstreamKind = 'streamable-http' | 'sse' | 'stdio';

interface Upstream {
  kind: UpstreamKind;
  spec: MockMcpSpec;
  mock?: MockMcpServer;
  /**
   * Set when the official reference server answers instead of a mock (features/support/reference-server.ts), with
   * its process when it serves HTTP; over stdio switchboard spawns it.
   */
  reference?: { http?: RunningReferenceServer };
  /** Extra keys for this server's config entry (prefix, timeoutMs, transport...). */
  settings: Record<string, unknown>;
  url?: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Each scenario gets real upstream servers, a real switchboard on a free port, and real SDK clients. */
export class SwitchboardWorld extends World {
  readonly upstreams = new Map<string, Upstream>();
  readonly clients = new Map<string, TestClient>();
  /** Every log line switchboard wrote during the scenario (JSON text). */
  readonly logLines: string[] = [];
  /** Every audit event switchboard recorded during the scenario (JSON text), from its audit destination. */
  readonly auditLines: string[] = [];
  /** Warnings the process emitted during the scenario (switchboard runs in this process). */
  readonly processWarnings: Error[] = [];
  /** Environment given to switchboard processes this scenario launches. */
  readonly childEnv: Record<string, string> = {};
  config: Record<string, unknown> = {};
  /** SWITCHBOARD_SECRET given to switchboard; a Redis store gets SCENARIO_SECRET when none was set. */
  secret: string | undefined;
  switchboard: RunningHttp | undefined;
  /** The last answer to a hand-made HTTP request. */
  lastAnswer: HttpAnswer | undefined;
  /** The tool listing taken just before switchboard was restarted. */
  toolNamesBeforeRestart: string[] | undefined;
  /** 'ok' or the failure of each call of a series of calls. */
  repeatedCallOutcomes: string[] | undefined;
  /** The outcome of the last switchboard process run to its end. */
  lastProcess: ProcessOutcome | undefined;
  /**
   * The protocol era the scenario's upstream servers speak: 2025-11-25 (legacy) or 2026-07-28 only (modern), from the
   * cucumber profile (cucumber.js: the era matrix). Legacy HTTP+SSE servers speak 2025 in either run.
   */
  readonly upstreamEra: MockEra;
  /** The protocol era of the scenario's clients, from the cucumber profile: 2025-11-25 with sessions, or 2026-07-28. */
  readonly clientEra: ClientEra;
  private filesValue: ScenarioFiles | undefined;
  private readonly onWarning = (warning: Error) => void this.processWarnings.push(warning);

  constructor(options: IWorldOptions) {
    super(options);
    const eras = (options.parameters ?? {}) as { upstreamEra?: MockEra; clientEra?: ClientEra };
    this.upstreamEra = eras.upstreamEra ?? 'legacy';
    this.clientEra = eras.clientEra ?? 'legacy';
    process.on('warning', this.onWarning);
  }

  /** `era` overrides the run's era for this upstream (scenarios about one era in particular). */
  async startUpstream(name: string, kind: UpstreamKind, spec: Omit<MockMcpSpec, 'name'>, settings: Record<string, unknown> = {}, era?: MockEra): Promise<Upstream> {
    const upstream: Upstream = { kind, spec: { name, ...spec }, settings };
    if (kind !== 'stdio') {
      upstream.mock = await startMockMcpServer(upstream.spec, { transport: kind, era: era ?? this.eraOf(kind) });
      upstream.url = upstream.mock.url;
    }
    this.upstreams.set(name, upstream);
    return upstream;
  }

  /** The official reference server as the upstream `name`. */
  async startReferenceUpstream(name: string, kind: UpstreamKind): Promise<Upstream> {
    const upstream: Upstream = { kind, spec: { name }, settings: {}, reference: {} };
    if (kind !== 'stdio') {
      upstream.reference = { http: await startReferenceServer(kind, freePort) };
      upstream.url = upstream.reference.http?.url;
    }
    this.upstreams.set(name, upstream);
    return upstream;
  }

  /** An upstream that is configured but not running yet; `bringUpUpstream` brings it up later on the same port. */
  async declareDownUpstream(name: string, spec: Omit<MockMcpSpec, 'name'>): Promise<void> {
    const port = await freePort();
    this.upstreams.set(name, { kind: 'streamable-http', spec: { name, ...spec }, settings: {}, url: `http://127.0.0.1:${port}/mcp` });
  }

  /** Starts an upstream declared down, or brings a stopped one back on its port. */
  async bringUpUpstream(name: string): Promise<void> {
    const upstream = this.upstream(name);
    if (upstream.mock) return upstream.mock.start();
    const port = Number(new URL(upstream.url!).port);
    upstream.mock = await startMockMcpServer(upstream.spec, { transport: 'streamable-http', era: this.upstreamEra, port });
  }

  /** The era an upstream of this kind speaks in this run. */
  eraOf(kind: UpstreamKind): MockEra {
    return kind === 'sse' ? 'legacy' : this.upstreamEra;
  }

  upstream(name: string): Upstream {
    const upstream = this.upstreams.get(name);
    if (!upstream) throw new Error(`no upstream "${name}" in this scenario`);
    return upstream;
  }

  mock(name: string): MockMcpServer {
    const mock = this.upstream(name).mock;
    if (!mock) throw new Error(`upstream "${name}" is not an HTTP mock`);
    return mock;
  }

  /** `server/tool` for every tool the HTTP upstreams were started with. */
  upstreamToolIds(): string[] {
    return [...this.upstreams].filter(([, u]) => u.mock).flatMap(([server, u]) => (u.spec.tools ?? [{ name: 'echo' }]).map((t) => `${server}/${t.name}`));
  }

  /** How many calls each HTTP upstream has received so far; pass it to upstreamCallsSince. */
  upstreamCallCounts(): Map<string, number> {
    return new Map([...this.upstreams].filter(([, u]) => u.mock).map(([server, u]) => [server, u.mock!.calls().length]));
  }

  /** `server/tool` of every call the HTTP upstreams received since the counts were taken. */
  upstreamCallsSince(counts: ReadonlyMap<string, number>): string[] {
    return [...counts].flatMap(([server, count]) => this.mock(server).calls().slice(count).map((call) => `${server}/${call.tool}`));
  }

  serverEntries(): Record<string, unknown> {
    return Object.fromEntries([...this.upstreams].map(([name, u]) => {
      const base = u.kind !== 'stdio' ? { url: u.url } : u.reference ? referenceStdioCommand() : stdioCommand(u.spec, { era: this.eraOf('stdio') });
      return [name, { ...base, ...u.settings }];
    }));
  }

  /** The configuration file of a switchboard started from one (hot reload scenarios). */
  configFile: string | undefined;

  /** The scenario's configuration as a file would hold it: its servers, only those of `only` when given. */
  configFileText(only?: readonly string[]): string {
    const servers = Object.entries(this.serverEntries()).filter(([name]) => !only || only.includes(name));
    return JSON.stringify({ ...this.scenarioConfig(), mcpServers: Object.fromEntries(servers) }, null, 2);
  }

  private scenarioConfig(): Record<string, unknown> {
    return {
      ...this.config,
      http: { port: 0, ...(this.config.http as object | undefined) },
      // Mock stdio servers start through tsx, which takes seconds on a busy CI machine.
      sessions: { firstListWaitMs: 20_000, ...(this.config.sessions as object | undefined) },
      reconnect: { initialDelayMs: 100, maxDelayMs: 1_000, ...(this.config.reconnect as object | undefined) },
    };
  }

  /** Starts switchboard from a configuration file holding the servers of `only` (or all), which it then watches. */
  async startSwitchboardFromFile(only?: readonly string[]): Promise<RunningHttp> {
    this.configFile = await (await this.files()).write('switchboard.json', this.configFileText(only));
    const config = await loadConfigFile(this.configFile);
    if (config.store.url.startsWith('redis')) this.secret ??= SCENARIO_SECRET;
    this.switchboard = await serveHttp(config, this.scenarioLogger(), { secret: this.secret, configFile: this.configFile, audit: this.auditDestination() });
    return this.switchboard;
  }

  /** Audit events go to the scenario's own list (features/support/audit.ts reads them). */
  auditDestination() {
    return { stream: { write: (line: string) => void this.auditLines.push(line) } };
  }

  private scenarioLogger() {
    return createLogger({ level: 'debug', pretty: false, destination: { write: (line: string) => void this.logLines.push(line) } });
  }

  async startSwitchboard(): Promise<RunningHttp> {
    const config = parseConfig({ ...this.scenarioConfig(), mcpServers: this.serverEntries() }, 'scenario config');
    if (config.store.url.startsWith('redis')) this.secret ??= SCENARIO_SECRET;
    this.switchboard = await serveHttp(config, this.scenarioLogger(), { secret: this.secret, audit: this.auditDestination() });
    return this.switchboard;
  }

  /** Stops switchboard and starts it again with the same configuration; every client reconnects. */
  async restartSwitchboard(): Promise<void> {
    const clients = [...this.clients];
    await Promise.all(clients.map(([, client]) => client.close()));
    this.clients.clear();
    await this.switchboard?.close();
    await this.startSwitchboard();
    for (const [name, client] of clients) await this.connect(name, client.behaviour);
  }

  get url(): string {
    if (!this.switchboard) throw new Error('switchboard is not running in this scenario');
    return this.switchboard.url;
  }

  async connect(name = 'default', behaviour: ClientBehaviour = {}): Promise<TestClient> {
    const client = await TestClient.connect(this.url, behaviour, {}, this.clientEra);
    this.clients.set(name, client);
    return client;
  }

  client(name = 'default'): TestClient {
    const client = this.clients.get(name);
    if (!client) throw new Error(`no client "${name}" in this scenario`);
    return client;
  }

  /** What happens next is checked on its own: earlier notifications are forgotten. */
  forgetNotifications(): void {
    for (const client of this.clients.values()) client.forgetNotifications();
  }

  /** A hand-made HTTP request to switchboard; `path` is relative to its origin, e.g. `/mcp`. */
  async sendToSwitchboard(path: string, init: HttpRequestInit = {}): Promise<HttpAnswer> {
    this.lastAnswer = await sendHttp(new URL(path, this.url).href, init);
    return this.lastAnswer;
  }

  async readiness(): Promise<{ ready: boolean; sessions: number; servers: Record<string, { state: string; detail?: string }> }> {
    const answer = await sendHttp(new URL('/readyz', this.url).href);
    return JSON.parse(answer.text) as Awaited<ReturnType<SwitchboardWorld['readiness']>>;
  }

  /** How often the connections to `server` have failed to connect, from switchboard's log. */
  connectAttempts(server: string): number {
    return this.logLines
      .map((line) => JSON.parse(line) as { msg?: string; server?: string })
      .filter((entry) => entry.msg === 'upstream connection failed' && entry.server === server)
      .length;
  }

  async files(): Promise<ScenarioFiles> {
    this.filesValue ??= await ScenarioFiles.create();
    return this.filesValue;
  }

  /**
   * Starts switchboard as an IDE does, as a command speaking MCP over stdio, through an MCP client that becomes the
   * default client: this checkout's `bin/switchboard.js`, or, with `installedIn` (installPackage), `npx switchboard`
   * in the folder where the package is installed. npx is told not to fetch anything (`--no`): a command missing from
   * that folder fails instead of coming from the registry.
   */
  async launchOverStdio(configFile: string, installedIn?: string): Promise<TestClient> {
    const files = await this.files();
    const args = ['serve', '--config', files.path(configFile), '--stdio'];
    if (!installedIn) await buildSwitchboard();
    const client = await TestClient.launch(installedIn
      ? { command: 'npx', args: ['--no', 'switchboard', ...args], cwd: installedIn, env: npmFreeEnv(this.childEnv) }
      : { command: process.execPath, args: [SWITCHBOARD_BIN, ...args], cwd: REPO_ROOT, env: { ...(process.env as Record<string, string>), ...this.childEnv } });
    this.clients.set('default', client);
    return client;
  }

  async cleanup(): Promise<void> {
    process.off('warning', this.onWarning);
    await Promise.all([...this.clients.values()].map((c) => c.close()));
    await this.switchboard?.close();
    await Promise.all([...this.upstreams.values()].map((u) => u.mock?.stop() ?? u.reference?.http?.stop()));
    await this.filesValue?.remove();
  }
}

setWorldConstructor(SwitchboardWorld);

After(async function (this: SwitchboardWorld) {
  await this.cleanup();
});

declare module '@cucumber/cucumber' {
  interface World {
    promptText?: string;
    resourceText?: string;
    concurrentResults?: Map<string, string[]>;
    listings?: string[][];
  }
}
