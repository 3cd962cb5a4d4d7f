import { After } from '@cucumber/cucumber';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AuthServerCounts } from '../../mock-servers/oauth/index.js';
import { parseConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log/index.js';
import { serveHttp, type RunningHttp } from '../../src/switchboard.js';
import { startRedis, type RedisServer } from '../../test/support/redis.js';
import { auth } from './auth.js';
import type { TestClient } from './client.js';
import type { SwitchboardWorld } from './world.js';

/**
 * What token scenarios keep beside the World: the authorization servers' counts at the last completed sign-in (so
 * "since the sign-in" can be checked), a private Redis, and other switchboard instances sharing it.
 */
export class TokenFixture {
  /** Counts of each authorization server, taken once the last sign-in had connected its server. */
  readonly countsAtSignIn = new Map<string, AuthServerCounts>();
  redis: RedisServer | undefined;
  /** Switchboards started beside the World's own one, on the same store. */
  readonly others: RunningHttp[] = [];
  /** 'ok' or the failure of each use of a series of concurrent uses. */
  outcomes: string[] = [];

  constructor(private readonly world: SwitchboardWorld) {}

  noteCountsAtSignIn(): void {
    for (const [name, server] of auth(this.world).authServers) this.countsAtSignIn.set(name, server.inspect().counts);
  }

  countsSinceSignIn(issuer: string): { authorizationRequests: number; tokenRequests: number; refreshGrants: number } {
    const before = this.countsAtSignIn.get(issuer);
    if (!before) throw new Error(`no sign-in at "${issuer}" was completed in this scenario`);
    const now = auth(this.world).authServer(issuer).inspect().counts;
    const total = (counts: AuthServerCounts) => Object.values(counts.tokenRequests).reduce((sum, n) => sum + n, 0);
    return {
      authorizationRequests: now.authorizationRequests - before.authorizationRequests,
      tokenRequests: total(now) - total(before),
      refreshGrants: now.refreshGrants - before.refreshGrants,
    };
  }

  async startRedis(): Promise<RedisServer> {
    this.redis = await startRedis();
    this.world.config.store = { url: this.redis.url };
    return this.redis;
  }

  /**
   * Another switchboard with the scenario's configuration, as a second replica (or the same one after a crash) would
   * be: same store, same public URL, its own port. It logs into the World's log lines.
   */
  async startAnother(options: { secret?: string; publicUrl?: string } = {}): Promise<RunningHttp> {
    const raw = {
      ...this.world.config,
      ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
      mcpServers: this.world.serverEntries(),
      http: { ...(this.world.config.http as object | undefined), port: 0 },
    };
    const config = parseConfig(raw, 'scenario config (another switchboard)');
    const logger = createLogger({ level: 'debug', pretty: false, destination: { write: (line: string) => void this.world.logLines.push(line) } });
    const audit = { stream: { write: (line: string) => void this.world.auditLines.push(line) } };
    const other = await serveHttp(config, logger, { secret: options.secret ?? this.world.secret, audit });
    this.others.push(other);
    return other;
  }

  async close(): Promise<void> {
    await Promise.all(this.others.map((other) => other.close()));
    await this.redis?.stop();
  }
}

/** 'ok' when the echo tool answered with the text, else what went wrong. */
export async function echoOutcome(client: TestClient['client'], tool: string, text: string): Promise<string> {
  try {
    const result = (await client.callTool({ name: tool, arguments: { text } })) as CallToolResult;
    const answer = result.content[0]?.type === 'text' ? result.content[0].text : undefined;
    return !result.isError && answer === text ? 'ok' : `"${text}" answered ${JSON.stringify(result)}`;
  } catch (error) {
    return `"${text}" failed: ${(error as Error).message}`;
  }
}

const fixtures = new WeakMap<SwitchboardWorld, TokenFixture>();

export function tokens(world: SwitchboardWorld): TokenFixture {
  let fixture = fixtures.get(world);
  if (!fixture) {
    fixture = new TokenFixture(world);
    fixtures.set(world, fixture);
  }
  return fixture;
}

// Defined before the World's hook (this file imports the World for its type only), so it runs after it: switchboard
// deletes the sessions' tokens while Redis is still up.
After(async function (this: SwitchboardWorld) {
  await fixtures.get(this)?.close();
});
