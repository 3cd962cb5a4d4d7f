import type { Config, ServerChange } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { ConnectionPool } from './pool.js';
import type { UpstreamState } from './state.js';

/**
 * A server's health as its shared connection sees it (the connection opened with the server's own credentials, not
 * a user's). `healthy`: it answers as an MCP server should: connected and answering the checks, or asking for a
 * per-user sign-in (auth_required / reauth_required: up, and waiting for users to sign in). `lastError` is the last
 * failure seen, kept after a recovery; like every state detail, it holds no secret.
 */
export interface ServerHealth {
  healthy: boolean;
  state: UpstreamState;
  lastError?: string;
  /** ISO 8601 time of the last periodic check. */
  lastCheckedAt?: string;
  /** Round trip of the last successful check (ping, or server/discover for a 2026-07-28 server). */
  latencyMs?: number;
  /** How many tools the shared connection lists. */
  tools: number;
}

interface LastCheck {
  lastError?: string;
  lastCheckedAt?: string;
  latencyMs?: number;
}

function isHealthy(state: UpstreamState): boolean {
  return state === 'connected' || state === 'auth_required' || state === 'reauth_required';
}

/**
 * Checks every server periodically (`healthCheck.intervalMs`, per server or global) on its shared connection. A
 * failed check marks the connection unreachable, which drops its tools (list_changed) and reconnects with backoff;
 * when the upstream answers again the tools come back, with list_changed, by the connection's own retries.
 */
export class HealthMonitor {
  private readonly records = new Map<string, LastCheck>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly config: Config, private readonly pool: ConnectionPool, private readonly logger: Logger) {}

  start(): void {
    for (const server of Object.keys(this.config.mcpServers)) this.watch(server);
  }

  stop(): void {
    for (const timer of this.timers.values()) clearInterval(timer);
    this.timers.clear();
  }

  /** The servers changed at run time: removed ones are no longer checked, new and changed ones from now on. */
  serversChanged(change: ServerChange): void {
    for (const server of [...change.removed, ...change.updated]) {
      clearInterval(this.timers.get(server));
      this.timers.delete(server);
      this.records.delete(server);
    }
    for (const server of [...change.added, ...change.updated]) this.watch(server);
  }

  private watch(server: string): void {
    const serverConfig = this.config.mcpServers[server];
    if (!serverConfig || this.timers.has(server)) return;
    const timer = setInterval(() => void this.check(server), serverConfig.healthCheck?.intervalMs ?? this.config.healthCheck.intervalMs);
    timer.unref();
    this.timers.set(server, timer);
  }

  /**
   * Checks one server now: every shared connection of it (clients that declare other capabilities have their own),
   * so that each notices a dead upstream; the first is the one reported.
   */
  async check(server: string): Promise<ServerHealth | undefined> {
    const [connection, ...others] = this.pool.shared(server);
    if (!connection) return undefined;
    const record = this.records.get(server) ?? {};
    const [latency] = await Promise.all([connection, ...others].map((c) => (c.state === 'connected' ? c.checkHealth() : undefined)));
    record.lastCheckedAt = new Date().toISOString();
    if (latency !== undefined) record.latencyMs = Math.round(latency * 10) / 10;
    else if (!isHealthy(connection.state)) record.latencyMs = undefined;
    // A first attempt under way is no failure; a retry keeps the detail of the failure it retries.
    if (connection.state === 'unreachable' || connection.state === 'failed' || (connection.state === 'connecting' && connection.stateDetail)) {
      const error = connection.stateDetail ?? `the server is ${connection.state}`;
      if (error !== record.lastError) this.logger.warn({ server, state: connection.state, error }, 'upstream health check failed');
      record.lastError = error;
    }
    this.records.set(server, record);
    return this.health(server);
  }

  /** The health of one server (its state now, with what the last check found). */
  health(server: string): ServerHealth | undefined {
    const [connection] = this.pool.shared(server);
    if (!connection) return undefined;
    const record = this.records.get(server) ?? {};
    const state = connection.state;
    const healthy = isHealthy(state);
    // A failure seen between checks (the connection dropped) counts as the last error too.
    const lastError = !healthy && connection.stateDetail ? connection.stateDetail : record.lastError;
    return {
      healthy,
      state,
      ...(lastError !== undefined ? { lastError } : {}),
      ...(record.lastCheckedAt !== undefined ? { lastCheckedAt: record.lastCheckedAt } : {}),
      ...(healthy && record.latencyMs !== undefined ? { latencyMs: record.latencyMs } : {}),
      tools: connection.catalog.tools.length,
    };
  }

  /** Every configured server's health, in configuration order. */
  report(): { [server: string]: ServerHealth } {
    const report: { [server: string]: ServerHealth } = {};
    for (const server of Object.keys(this.config.mcpServers)) {
      const health = this.health(server);
      if (health) report[server] = health;
    }
    return report;
  }
}
