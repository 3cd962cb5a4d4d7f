import type { ClientCapabilities } from '@modelcontextprotocol/client';
import type { Config, ServerChange } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { UpstreamConnection, type ConnectionUser } from './connection.js';
import type { StaticCredentials, UpstreamCredentials } from './fetch.js';
import type { UpstreamState } from './state.js';
import type { EraVerdictCache } from './verdicts.js';

/** Everything switchboard can relay to a client: what 2026-07-28 connections declare (each request says what its client can do). */
export const RELAYABLE_CAPABILITIES: ClientCapabilities = { sampling: {}, elicitation: { form: {}, url: {} }, roots: { listChanged: true } };

/** A shared connection nobody uses is kept this long for the next session, so that a new session opens nothing. */
const SHARED_IDLE_MS = 5 * 60_000;

export interface LeaseRequest {
  server: string;
  /**
   * Whom the connection authenticates as: a principal key (its credentials are that principal's), or a view's own id
   * for a stdio server with `isolation: session`. Absent: the server's shared connection, with static headers and the
   * server's static credentials (`auth.type` bearer, basic, headers, query, client_credentials) only.
   */
  owner?: string;
  credentials?: UpstreamCredentials;
  /**
   * What the clients of the connection can do, declared upstream. Servers tailor what they offer to it (a server lists
   * its sampling tool only to a client that can sample), so clients that declare different capabilities never share a
   * connection; in practice the clients of one deployment declare the same.
   */
  capabilities: ClientCapabilities;
}

interface Entry {
  key: string;
  connection: UpstreamConnection;
  /** A principal's (or a view's) own connection: it closes with its last user. */
  owned: boolean;
  /** Kept open with no users: the shared connection of a server (readiness, and the next session's first list). */
  keep: boolean;
  idleTimer?: NodeJS.Timeout;
}

/**
 * The upstream connections of the process, one per (server, principal it authenticates as): a public server has one
 * connection that every session shares, a server behind OAuth one per principal, a stdio server one process (unless its
 * config says `isolation: session`). Views lease connections and give them back; a principal's own connection closes
 * with its last user, and a shared one is kept a while (SHARED_IDLE_MS), or for the life of the process once warmed.
 */
export class ConnectionPool {
  private readonly entries = new Map<string, Entry>();
  private readonly byConnection = new Map<UpstreamConnection, Entry>();
  private closed = false;
  private warmed = false;

  /** `staticCredentials`: the operator's credentials of a server, which its shared connection uses for everyone. */
  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly verdicts?: EraVerdictCache,
    private readonly staticCredentials: (server: string) => StaticCredentials | undefined = () => undefined,
  ) {}

  /** Opens the shared connection of every server now, in parallel, and keeps them: /readyz reports them. */
  warm(): void {
    this.warmed = true;
    for (const server of Object.keys(this.config.mcpServers)) this.entry({ server, capabilities: {} }).keep = true;
  }

  /**
   * The configuration changed (src/config ServerSet): every connection to a removed or reconfigured server closes (its
   * users see it closed and let it go, see the views), and a warmed pool opens the shared connection of new ones.
   */
  serversChanged(change: ServerChange): void {
    const gone = new Set([...change.removed, ...change.updated]);
    for (const entry of [...this.entries.values()]) if (gone.has(entry.connection.name)) this.drop(entry);
    if (!this.warmed || this.closed) return;
    for (const server of [...change.added, ...change.updated]) this.entry({ server, capabilities: {} }).keep = true;
  }

  /** The connection for `request`, opened if there is none, with `user` attached to it. */
  acquire(request: LeaseRequest, user: ConnectionUser): UpstreamConnection {
    const entry = this.entry(request);
    clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    entry.connection.attach(user);
    return entry.connection;
  }

  /** `user` is done with `connection`; with no user left, a principal's connection closes, a shared one idles. */
  release(connection: UpstreamConnection, user: ConnectionUser): void {
    connection.detach(user);
    if (connection.userCount > 0) return;
    const entry = this.byConnection.get(connection);
    if (!entry || entry.keep) return;
    if (entry.owned) {
      this.drop(entry);
      return;
    }
    entry.idleTimer = setTimeout(() => {
      if (entry.connection.userCount === 0) this.drop(entry);
    }, SHARED_IDLE_MS);
    entry.idleTimer.unref();
  }

  /** The state of each server's shared connection, for /readyz. */
  states(): Record<string, { state: UpstreamState; detail?: string; tools: number }> {
    const states: Record<string, { state: UpstreamState; detail?: string; tools: number }> = {};
    for (const server of Object.keys(this.config.mcpServers)) {
      const connection = this.entries.get(keyOf({ server, capabilities: {} }))?.connection;
      if (connection) states[server] = { state: connection.state, detail: connection.stateDetail, tools: connection.catalog.tools.length };
    }
    return states;
  }

  /**
   * The server's shared connections, reached with its own credentials: the one /readyz reports first (opened by warm()),
   * then those of clients that declare other capabilities. The health checks use them.
   */
  shared(server: string): UpstreamConnection[] {
    const primary = this.entries.get(keyOf({ server, capabilities: {} }))?.connection;
    const others = [...this.entries.values()].filter((e) => !e.owned && e.connection.name === server && e.connection !== primary).map((e) => e.connection);
    return primary ? [primary, ...others] : others;
  }

  /** Every upstream connection of the process, by server and state. */
  *connections(): IterableIterator<{ server: string; state: UpstreamState }> {
    for (const { connection } of this.entries.values()) yield { server: connection.name, state: connection.state };
  }

  /** How many upstream connections are open, in all. */
  get size(): number {
    return this.entries.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    const entries = [...this.entries.values()];
    this.entries.clear();
    this.byConnection.clear();
    for (const entry of entries) clearTimeout(entry.idleTimer);
    await Promise.all(entries.map((e) => e.connection.close()));
  }

  private entry(request: LeaseRequest): Entry {
    const key = keyOf(request);
    let entry = this.entries.get(key);
    if (entry) return entry;
    const config = this.config.mcpServers[request.server];
    if (!config) throw new Error(`no server "${request.server}" is configured`);
    const connection = new UpstreamConnection({
      name: request.server,
      config,
      logger: this.logger,
      capabilities: request.capabilities,
      credentials: request.credentials ?? (request.owner === undefined ? this.staticCredentials(request.server) : undefined),
      backoff: { initialMs: this.config.reconnect.initialDelayMs, maxMs: this.config.reconnect.maxDelayMs },
      verdicts: this.verdicts,
    });
    entry = { key, connection, owned: request.owner !== undefined, keep: false };
    this.entries.set(key, entry);
    this.byConnection.set(connection, entry);
    if (!this.closed) connection.start();
    return entry;
  }

  private drop(entry: Entry): void {
    clearTimeout(entry.idleTimer);
    if (this.entries.get(entry.key) !== entry) return;
    this.entries.delete(entry.key);
    this.byConnection.delete(entry.connection);
    void entry.connection.close();
  }
}

function keyOf(request: LeaseRequest): string {
  const { sampling, elicitation, roots } = request.capabilities;
  return JSON.stringify([request.server, request.owner ?? null, sampling ?? null, elicitation ?? null, roots ?? null]);
}
