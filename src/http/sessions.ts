import { randomUUID } from 'node:crypto';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { auditUser, NO_AUDIT, type AuditRecorder } from '../audit/index.js';
import type { AuthManager } from '../auth/index.js';
import type { Config, ServerChange } from '../config/index.js';
import type { Caller } from '../front-door/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import { samePrincipal, sessionPrincipal, type Principal, type SessionPrincipal } from '../principal/index.js';
import { Session } from '../session/index.js';
import { createEventStores, type EventStores, type SessionEventStore } from '../store/index.js';
import type { ConnectionPool, HealthMonitor } from '../upstream/index.js';
import { scopeFor } from './scope.js';

interface Entry {
  session: Session;
  transport: NodeStreamableHTTPServerTransport;
  events: SessionEventStore;
  lastActivity: number;
  /** The user the front door let in when the session was created; only they may use it. */
  owner: Principal | undefined;
}

/**
 * Downstream HTTP sessions by Mcp-Session-Id. Ids are random UUIDs (MCP 2025-11-25 basic/transports#session-management:
 * globally unique and cryptographically secure); they route requests and are never treated as authentication. Behind
 * the front door a session belongs to the user who created it: another user's request with its id finds nothing
 * (404, as for an unknown id), so an id that leaked opens nobody else's session.
 */
export class SessionRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly events: EventStores;

  /**
   * `events` keeps the sessions' SSE events for clients that reconnect with Last-Event-ID; by default it is chosen by
   * the store url (memory, or Redis shared by replicas).
   */
  constructor(
    private readonly config: Config,
    private readonly pool: ConnectionPool,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly auth?: AuthManager,
    private readonly audit: AuditRecorder = NO_AUDIT,
    private readonly health?: HealthMonitor,
    events?: EventStores,
  ) {
    this.events = events ?? createEventStores({ url: config.store.url, logger, retentionMs: config.sessions.eventRetentionMs, eventsPerStream: config.sessions.eventsPerStream });
    this.sweeper = setInterval(() => this.sweep(), sweepIntervalMs(config));
    this.sweeper.unref();
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Handles an initialize request on a new session. The session is registered only when the SDK accepted the
   * initialize; a rejected one is closed again at once. `caller`: the user the front door let in, the session's owner.
   * With `tokens.scope: user` the session's sign-ins are the owner's (shared with their other sessions and modern
   * requests); otherwise the session is its own principal. The servers it offers are the ones the owner may see.
   */
  async initialize(handle: (transport: NodeStreamableHTTPServerTransport) => Promise<void>, caller?: Caller): Promise<void> {
    // MCP 2025-11-25 basic/transports#session-management: visible ASCII only; the UUID keeps it unguessable.
    const replica = this.config.http.replicaId;
    const id = replica === undefined ? randomUUID() : `${replica}.${randomUUID()}`;
    const owner = caller?.principal;
    const principal = owner && this.config.tokens.scope === 'user' ? owner : undefined;
    const scope = scopeFor(this.config, this.audit, caller, principal ?? sessionPrincipal(id));
    const session = new Session({ id, principal, config: this.config, pool: this.pool, logger: this.logger, metrics: this.metrics, auth: this.auth, scope, health: this.health });
    const events = this.events.forSession(id);
    // MCP 2025-11-25 basic/transports#resumability-and-redelivery: every SSE event gets an id (a priming event with
    // `retry` opens each stream), and a GET with Last-Event-ID replays what followed it on that stream.
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      eventStore: events,
      retryInterval: this.config.sessions.sseRetryMs,
      onsessioninitialized: () => {
        this.entries.set(id, { session, transport, events, lastActivity: Date.now(), owner });
        this.metrics.sessions.set(this.entries.size);
        this.logger.info({ session: id, client: session.clientInfo?.name }, 'session opened');
      },
      onsessionclosed: () => void this.close(id, 'the client ended the session'),
    });
    await session.server.connect(transport);
    await handle(transport);
    if (this.entries.has(id)) return;
    events.discard();
    await session.close({ forgetTokens: true });
  }

  /** The configured servers changed: every session's view follows. */
  serversChanged(change: ServerChange): void {
    for (const entry of this.entries.values()) entry.session.view.serversChanged(change);
  }

  /** Finds a live session's transport for `caller` and marks the session active. */
  touch(id: string, caller: Principal | undefined): NodeStreamableHTTPServerTransport | undefined {
    const found = this.find(id, caller);
    if (!found && this.entries.has(id)) {
      this.audit.record({ user: auditUser(caller), action: 'access', resourceType: 'session', resourceId: id, outcome: 'denied', reason: 'the session belongs to another user' });
    }
    return found?.transport;
  }

  /** Finds a live session and marks it active; a session of another owner is not found. */
  find(id: string, caller: Principal | undefined): { session: Session; transport: NodeStreamableHTTPServerTransport } | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.owner && (!caller || !samePrincipal(entry.owner, caller))) return undefined;
    entry.lastActivity = Date.now();
    return entry;
  }

  /** `ended`: the session is over for good (the client ended it, or it was idle); its tokens are deleted. */
  async close(id: string, reason: string, ended = true): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.metrics.sessions.set(this.entries.size);
    this.logger.info({ session: id, reason }, 'session closed');
    await entry.session.close({ forgetTokens: ended });
    await entry.transport.close().catch(() => {});
    entry.events.discard();
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.entries.keys()].map((id) => this.close(id, 'switchboard is stopping', false)));
    await this.events.close();
  }

  /** Idle sessions end; the others renew their grants, which expire when no process renews them any more. */
  private sweep(): void {
    const cutoff = Date.now() - this.config.sessions.idleTimeoutMs;
    for (const [id, entry] of this.entries) if (entry.lastActivity < cutoff) void this.close(id, 'idle');
    // Only a session that is its own principal has grants that end with it (a user's outlive their sessions).
    const own = [...this.entries.values()].map((e) => e.session.view.principal).filter((p): p is SessionPrincipal => p?.kind === 'session');
    if (!this.auth || own.length === 0) return;
    void this.auth.keepSessions(own).catch((error: unknown) => {
      // The next sweep tries again; the grants' TTL spans several sweeps.
      this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'could not renew the sessions\' sign-ins in the token store');
    });
  }
}

function sweepIntervalMs(config: Config): number {
  return Math.max(250, Math.min(config.sessions.idleTimeoutMs / 4, 60_000));
}

/**
 * How long a session's grants outlive their last renewal: the idle timeout, after which the session would have ended
 * anyway, and at least four sweeps, so a renewal that fails once or runs late loses nothing.
 */
export function sessionGrantTtlMs(config: Config): number {
  return Math.max(config.sessions.idleTimeoutMs, 4 * sweepIntervalMs(config));
}
