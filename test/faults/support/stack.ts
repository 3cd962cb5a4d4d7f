import { TestClient, type ClientEra } from '../../../features/support/client.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { Balancer } from './balancer.js';
import { TcpLink } from './tcp-link.js';
import { freePort, RunningProcess, scratchDir, startMockAuthServer, startMockMcp, startProtectedMcp, startSwitchboard, waitUntil } from './processes.js';

export const SECRET = 'faults-suite-secret-0123456789-abcdefghijkl';

export interface StackOptions {
  replicas: number;
  /** Keep tokens in a private redis-server (default), or in each replica's memory. */
  redis?: boolean;
  /** Extra arguments of the mock authorization server (e.g. --ttl 8). */
  authServerArgs?: string[];
  /** Upstream call timeout of the public servers. */
  timeoutMs?: number;
  /** Each replica reaches Redis through a link of its own that a test can cut (`links`). */
  redisLinks?: boolean;
}

/**
 * Everything as separate processes, the way it runs in production: redis-server, the mock authorization server, a
 * protected MCP server "jira" behind it, two public mock MCP servers "weather" and "news", and switchboard replicas
 * (the real `serve` command) behind the balancer of docker/nginx.conf's rule.
 */
export class Stack {
  readonly replicas: RunningProcess[] = [];
  readonly clients: TestClient[] = [];
  redis: RedisServer | undefined;
  /** With redisLinks: replica i's way to Redis. */
  readonly links: TcpLink[] = [];
  authServer!: RunningProcess;
  issuer!: string;
  jira!: RunningProcess;
  weather!: RunningProcess;
  news!: RunningProcess;
  balancer!: Balancer;
  private files!: Awaited<ReturnType<typeof scratchDir>>;
  private replicaPorts: number[] = [];

  static async start(options: StackOptions): Promise<Stack> {
    const stack = new Stack();
    try {
      await stack.boot(options);
    } catch (error) {
      await stack.close();
      throw error;
    }
    return stack;
  }

  get url(): string {
    return `${this.balancer.origin}/mcp`;
  }

  replicaOrigin(index: number): string {
    return `http://127.0.0.1:${this.replicaPorts[index]}`;
  }

  async connect(era: ClientEra = 'legacy', url = this.url): Promise<TestClient> {
    const client = await TestClient.connect(url, {}, {}, era);
    this.clients.push(client);
    return client;
  }

  /** The authenticate tool's sign-in URL for a server. */
  async signInUrl(client: TestClient, server = 'jira'): Promise<string> {
    await client.toolNames();
    await client.call(`authenticate_${server}`);
    const url = (client.lastResult?.structuredContent as { authorizationUrl?: string } | undefined)?.authorizationUrl;
    if (!url) throw new Error(`no sign-in URL: ${JSON.stringify(client.lastResult ?? client.lastError?.message)}`);
    return url;
  }

  /** The browser at the authorization server, which approves at once and sends it to switchboard's callback. */
  async approve(authorizationUrl: string): Promise<string> {
    const answer = await fetch(authorizationUrl, { redirect: 'manual' });
    const location = answer.headers.get('location');
    if (answer.status < 300 || answer.status >= 400 || !location) throw new Error(`the authorization server did not redirect (HTTP ${answer.status})`);
    return new URL(location, authorizationUrl).href;
  }

  /** The browser opens the callback; the page's text. */
  async openCallback(callbackUrl: string): Promise<{ status: number; text: string; ms: number }> {
    const started = performance.now();
    const answer = await fetch(callbackUrl);
    const text = (await answer.text()).replace(/<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
    return { status: answer.status, text, ms: performance.now() - started };
  }

  async signIn(client: TestClient): Promise<void> {
    const callback = await this.openCallback(await this.approve(await this.signInUrl(client)));
    if (callback.status !== 200) throw new Error(`sign-in failed: ${callback.status} ${callback.text}`);
    await waitUntil(async () => (await client.toolNames()).includes('jira_whoami'), 'jira_whoami after the sign-in');
  }

  async readiness(index = 0): Promise<{ status: number; body: { ready: boolean; store?: { kind: string; ok: boolean; error?: string } } }> {
    const answer = await fetch(`${this.replicaOrigin(index)}/readyz`);
    return { status: answer.status, body: (await answer.json()) as { ready: boolean } };
  }

  /** The test API of the mock authorization server. */
  async authServerApi(path: string, body?: unknown): Promise<unknown> {
    const origin = new URL(this.issuer).origin;
    const answer = await fetch(`${origin}/_test/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return answer.json();
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close().catch(() => {})));
    await this.balancer?.close();
    await Promise.all(this.replicas.map((r) => r.stop()));
    await Promise.all([this.jira, this.weather, this.news, this.authServer].map((p) => p?.stop()));
    await Promise.all(this.links.map((link) => link.close()));
    await this.redis?.stop();
    await this.files?.remove();
  }

  private async boot(options: StackOptions): Promise<void> {
    this.files = await scratchDir();
    if (options.redis ?? true) this.redis = await startRedis();
    const [weatherPort, newsPort, authPort, jiraPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    [this.authServer, this.weather, this.news] = await Promise.all([
      startMockAuthServer(authPort, options.authServerArgs),
      startMockMcp('weather', weatherPort),
      startMockMcp('news', newsPort),
    ]);
    this.issuer = this.authServer.readyLine.trim();
    this.jira = await startProtectedMcp('jira', this.issuer, jiraPort);
    this.replicaPorts = await Promise.all(Array.from({ length: options.replicas }, () => freePort()));
    const ids = this.replicaPorts.map((_, i) => `r${i + 1}`);
    this.balancer = await Balancer.start(this.replicaPorts.map((port, i) => ({ id: ids[i]!, port })));
    const timeoutMs = options.timeoutMs ?? 1_500;
    const config = await this.files.write('switchboard.json', {
      publicUrl: this.balancer.origin,
      mcpServers: {
        weather: { url: `http://127.0.0.1:${weatherPort}/mcp`, timeoutMs },
        news: { url: `http://127.0.0.1:${newsPort}/mcp`, timeoutMs },
        jira: { url: this.jira.readyLine.trim() },
      },
      reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 },
      sessions: { firstListWaitMs: 10_000 },
    });
    if (options.redisLinks && this.redis) this.links.push(...await Promise.all(this.replicaPorts.map(() => TcpLink.start(this.redis!.port))));
    const storeUrl = (i: number) => (this.links[i] ? `redis://127.0.0.1:${this.links[i].port}` : this.redis?.url ?? 'memory:');
    this.replicas.push(...await Promise.all(this.replicaPorts.map((port, i) =>
      startSwitchboard(`switchboard ${ids[i]}`, { port, configFile: config, storeUrl: storeUrl(i), secret: SECRET, replicaId: ids[i] }))));
  }
}

/** Calls a tool over and over until stopped, keeping each outcome with its time. */
export class Traffic {
  readonly outcomes: { at: number; ok: boolean; ms: number; detail?: string }[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(private readonly client: TestClient, private readonly tool: string, private readonly pauseMs = 50) {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  failures(from = 0, to = Infinity) {
    return this.outcomes.filter((o) => !o.ok && o.at >= from && o.at <= to);
  }

  between(from: number, to: number) {
    return this.outcomes.filter((o) => o.at >= from && o.at <= to);
  }

  private async run(): Promise<void> {
    let i = 0;
    while (this.running) {
      const text = `${this.tool} ${i++}`;
      const started = performance.now();
      await this.client.call(this.tool, { text });
      const result = this.client.lastResult;
      const answer = result?.content[0]?.type === 'text' ? result.content[0].text : undefined;
      const ok = result !== undefined && !result.isError && (this.tool.endsWith('_echo') ? answer === text : true);
      this.outcomes.push({ at: performance.now(), ok, ms: performance.now() - started, ...(ok ? {} : { detail: this.client.lastError?.message ?? answer }) });
      await new Promise((done) => setTimeout(done, this.pauseMs));
    }
  }
}
