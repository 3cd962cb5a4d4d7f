import { createServer } from 'node:net';
import { After, setDefaultTimeout, setWorldConstructor, World, type IWorldOptions } from '@cucumber/cucumber';
import { parseConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log/index.js';
import { serveHttp, type RunningHttp } from '../../src/switchboard.js';
import { startMockMcpServer, stdioCommand, type MockMcpServer, type MockMcpSpec } from '../../mock-servers/mcp/index.js';
import { TestClient, type ClientBehaviour } from './client.js';

setDefaultTimeout(60_000);

export type UpstreamKind = 'streamable-http' | 'sse' | 'stdio';

interface Upstream {
  kind: UpstreamKind;
  spec: MockMcpSpec;
  mock?: MockMcpServer;
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
  config: Record<string, unknown> = {};
  switchboard: RunningHttp | undefined;

  constructor(options: IWorldOptions) {
    super(options);
  }

  async startUpstream(name: string, kind: UpstreamKind, spec: Omit<MockMcpSpec, 'name'>, settings: Record<string, unknown> = {}): Promise<Upstream> {
    const upstream: Upstream = { kind, spec: { name, ...spec }, settings };
    if (kind !== 'stdio') {
      upstream.mock = await startMockMcpServer(upstream.spec, { transport: kind });
      upstream.url = upstream.mock.url;
    }
    this.upstreams.set(name, upstream);
    return upstream;
  }

  /** An upstream that is configured but not running yet; `startDeclaredUpstream` brings it up later on the same port. */
  async declareDownUpstream(name: string, spec: Omit<MockMcpSpec, 'name'>): Promise<void> {
    const port = await freePort();
    this.upstreams.set(name, { kind: 'streamable-http', spec: { name, ...spec }, settings: {}, url: `http://127.0.0.1:${port}/mcp` });
  }

  async startDeclaredUpstream(name: string): Promise<void> {
    const upstream = this.upstream(name);
    const port = Number(new URL(upstream.url!).port);
    upstream.mock = await startMockMcpServer(upstream.spec, { transport: 'streamable-http', port });
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

  serverEntries(): Record<string, unknown> {
    return Object.fromEntries([...this.upstreams].map(([name, u]) => {
      const base = u.kind === 'stdio' ? stdioCommand(u.spec) : { url: u.url };
      return [name, { ...base, ...u.settings }];
    }));
  }

  async startSwitchboard(): Promise<RunningHttp> {
    const raw = {
      ...this.config,
      mcpServers: this.serverEntries(),
      http: { port: 0, ...(this.config.http as object | undefined) },
      // Mock stdio servers start through tsx, which takes seconds on a busy CI machine.
      sessions: { firstListWaitMs: 20_000, ...(this.config.sessions as object | undefined) },
      reconnect: { initialDelayMs: 100, maxDelayMs: 1_000, ...(this.config.reconnect as object | undefined) },
    };
    const config = parseConfig(raw, 'scenario config');
    const logger = createLogger({ level: 'debug', pretty: false, destination: { write: (line: string) => void this.logLines.push(line) } });
    this.switchboard = await serveHttp(config, logger);
    return this.switchboard;
  }

  get url(): string {
    if (!this.switchboard) throw new Error('switchboard is not running in this scenario');
    return this.switchboard.url;
  }

  async connect(name = 'default', behaviour: ClientBehaviour = {}): Promise<TestClient> {
    const client = await TestClient.connect(this.url, behaviour);
    this.clients.set(name, client);
    return client;
  }

  client(name = 'default'): TestClient {
    const client = this.clients.get(name);
    if (!client) throw new Error(`no client "${name}" in this scenario`);
    return client;
  }

  async cleanup(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close()));
    await this.switchboard?.close();
    await Promise.all([...this.upstreams.values()].map((u) => u.mock?.stop()));
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
