import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  Client,
  LOG_LEVEL_META_KEY,
  PROTOCOL_VERSION_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  SdkError,
  SdkErrorCode,
  StreamableHTTPClientTransport,
  type ClientCapabilities as SdkClientCapabilities,
  type ClientCapabilities,
  type JSONRPCMessage,
  type LoggingLevel,
  type Notification,
  type McpSubscription,
  type PriorDiscovery,
  type ProtocolEra,
  type Request,
  type RequestId,
  type ServerCapabilities,
} from '@modelcontextprotocol/client';
import { isRemote, type ServerConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import { ALL_PARTS, listParts, PassThrough, type PassThroughResult } from './catalog-listing.js';
import { DirectCaller, DirectCallRefused } from './direct-call.js';
import { UpstreamConnectionClosedError, UpstreamRequestError, UpstreamTimeoutError, UpstreamUnavailableError } from './errors.js';
import type { AuthChallenge, UpstreamCredentials } from './fetch.js';
import { INPUT_REQUIRED_METHODS, relayInputRequired, type InputRequest } from './input-required.js';
import { levelAdmits, mostVerbose } from './log-levels.js';
import { ProgressRelay, type Progress } from './progress.js';
import { EMPTY_CATALOG, type CatalogPart, type UpstreamCatalog, type UpstreamState } from './state.js';
import { createTransport, saysVerdictIsStale, shouldFallBackToSse, transportCandidates, type OpenedTransport, type TransportKind } from './transport.js';
import { modernVerdict, processEraVerdicts, verdictKey, type EraVerdictCache } from './verdicts.js';

export type { PassThroughResult } from './catalog-listing.js';

const HEALTH_CHECK_TIMEOUT_MS = 5_000;
/** Ending the upstream session is a courtesy; a server that does not answer the DELETE does not hold up a close. */
const SESSION_END_TIMEOUT_MS = 5_000;
/** The SDK's own request timeout is off: ours (below) restarts on progress, which the SDK cannot see (progress.ts). */
const NO_SDK_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * A principal view that uses this connection (a connection is shared by every view that authenticates as the same
 * principal, see pool.ts): what the connection tells it. Which messages go to which user is in README.md, "Routing".
 */
export interface ConnectionUser {
  /** The state or parts of the catalog changed. */
  upstreamChanged(connection: UpstreamConnection, parts: ReadonlySet<CatalogPart>): void;
  /** A notification for this user's client (logs, updates of resources it subscribed to). */
  upstreamNotification(connection: UpstreamConnection, notification: Notification, relatedRequestId: RequestId | undefined): void;
  /** A server-to-client request (sampling, elicitation, roots) that belongs to this user's client. */
  upstreamRequest(connection: UpstreamConnection, request: Request, options: { signal: AbortSignal; relatedRequestId?: RequestId; inputKey?: string }): Promise<PassThroughResult>;
}

export interface UpstreamConnectionOptions {
  name: string;
  config: ServerConfig;
  logger: Logger;
  /** What the clients of this connection's users can do (sampling, elicitation, roots), declared upstream. */
  capabilities: ClientCapabilities;
  /** Per-request credentials; when absent the server is reached with its static headers only. */
  credentials?: UpstreamCredentials;
  backoff: BackoffPolicy;
  /** Where era verdicts are kept; by default the process-wide cache (verdicts.ts). */
  verdicts?: EraVerdictCache;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Progress of this call, relayed in order and before its result. */
  onprogress?: (progress: Progress) => void;
  /** Who makes the call: what the upstream sends during it goes to this user. */
  caller?: ConnectionUser;
  /** The downstream request this call serves, so upstream requests and logs during it can be related to it. */
  downstreamRequestId?: RequestId;
  /** 2026 era: what the caller's client declared on its request; the upstream is told the part switchboard relays. */
  clientCapabilities?: ClientCapabilities;
  /**
   * 2026 era: an input_required result of a 2026 upstream is returned as it is, for a 2026-07-28 caller whose client
   * answers it by retrying (the round then needs nothing of this process), instead of being relayed round by round
   * here while the call waits.
   */
  returnInputRequired?: boolean;
}

/** A call in flight: whose it is, so that what the upstream sends during it reaches the right client. */
interface CallOwner {
  user: ConnectionUser | undefined;
  requestId: RequestId | undefined;
}

/** The SDK client of one connection attempt, with what belongs to it. */
interface Live {
  client: Client;
  opened: OpenedTransport;
  era: ProtocolEra;
  /** tools/call without the SDK's request path, on 2025-era Streamable HTTP (src/upstream/direct-call.ts). */
  direct: DirectCaller | undefined;
  progress: ProgressRelay;
  verdictKey: string;
  /** 2026 era: the subscriptions/listen stream that carries list changes and resource updates. */
  listen?: McpSubscription;
  /** Upstream requests seen on a call's own response stream, by their JSON-RPC id: they belong to that call. */
  tied: Map<RequestId, CallOwner>;
}

/**
 * One session's connection to one upstream server, in whichever era the server speaks: negotiates the era once per
 * server and credential (then reuses the verdict with no round trip), lists its catalog, follows its list changes,
 * relays requests, and reconnects with capped exponential backoff when it is down or breaks.
 */
export class UpstreamConnection {
  readonly name: string;
  private stateValue: UpstreamState = 'connecting';
  private detail: string | undefined;
  private catalogValue: UpstreamCatalog = EMPTY_CATALOG;
  private capabilities: ServerCapabilities | undefined;
  private live: Live | undefined;
  private preferredKind: TransportKind | undefined;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private checkingHealth = false;
  private lastChallenge: AuthChallenge | undefined;
  private readonly inFlight = new Map<number, CallOwner>();
  /** The views using this connection (pool.ts leases). */
  private readonly users = new Set<ConnectionUser>();
  /** A reconnect under way: several users asking for one (after one sign-in) share it. */
  private reconnecting: Promise<void> | undefined;
  private nextCallId = 0;
  private settledWaiters: (() => void)[] = [];
  /** The logging level each user's client set; the upstream is set to the most verbose of them. */
  private readonly logLevels = new Map<ConnectionUser, LoggingLevel>();
  /** 2025 era: the level last sent upstream with logging/setLevel. */
  private sentLogLevel: LoggingLevel | undefined;
  /** list_changed notifications that arrived during the first listing: refreshed once it is in. */
  private readonly refreshAfterListing = new Set<CatalogPart>();
  /** Resources the users subscribed to (upstream URIs), and who: updates go to them. 2026: carried by the listen stream. */
  private readonly subscriptions = new Map<string, Set<ConnectionUser>>();
  private readonly logger: Logger;
  private readonly verdicts: EraVerdictCache;

  constructor(private readonly options: UpstreamConnectionOptions) {
    this.name = options.name;
    this.logger = options.logger.child({ server: options.name });
    this.verdicts = options.verdicts ?? processEraVerdicts;
  }

  get state(): UpstreamState {
    return this.stateValue;
  }

  /** A short, secret-free explanation of the current state (the last error), if any. */
  get stateDetail(): string | undefined {
    return this.detail;
  }

  get catalog(): UpstreamCatalog {
    return this.catalogValue;
  }

  get serverCapabilities(): ServerCapabilities | undefined {
    return this.capabilities;
  }

  /** The era the current connection speaks, once connected. */
  get era(): ProtocolEra | undefined {
    return this.live?.era;
  }

  get timeoutMs(): number {
    return this.options.config.timeoutMs;
  }

  start(): void {
    void this.connect();
  }

  /** Resolves once the first connection attempt has ended (in any state), or after maxWaitMs. */
  async settled(maxWaitMs: number): Promise<void> {
    if (this.stateValue !== 'connecting') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, maxWaitMs);
      this.settledWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Connects again now, e.g. after a sign-in provided credentials; resolves when the attempt has ended. */
  reconnect(): Promise<void> {
    if (this.stateValue === 'closed') return Promise.resolve();
    this.reconnecting ??= (async () => {
      clearTimeout(this.retryTimer);
      this.attempt = 0;
      await this.teardown();
      await this.connect();
    })().finally(() => {
      this.reconnecting = undefined;
    });
    return this.reconnecting;
  }

  /** A view starts using this connection: it hears of changes, and of what the upstream sends for its client. */
  attach(user: ConnectionUser): void {
    this.users.add(user);
  }

  /** A view is done with this connection: its subscriptions and logging level go with it. */
  detach(user: ConnectionUser): void {
    if (!this.users.delete(user)) return;
    for (const uri of [...this.subscriptions.keys()]) void this.unsubscribe(uri, user).catch(() => {});
    if (this.logLevels.delete(user)) void this.applyLogLevel();
  }

  get userCount(): number {
    return this.users.size;
  }

  /**
   * Resource updates for `uri` (the upstream's own URI) reach `user` from now on. The upstream is subscribed once, for
   * the first user (2025: resources/subscribe; 2026: the URI joins the listen stream's filter).
   */
  async subscribe(uri: string, user: ConnectionUser, signal?: AbortSignal): Promise<void> {
    const live = this.live;
    if (this.stateValue !== 'connected' || !live) throw new UpstreamUnavailableError(this.name, this.stateValue, this.detail);
    const subscribers = this.subscriptions.get(uri);
    if (subscribers) {
      subscribers.add(user);
      return;
    }
    if (live.era === 'legacy') await this.request({ method: 'resources/subscribe', params: { uri } }, { signal, caller: user });
    const joined = this.subscriptions.get(uri);
    if (joined) joined.add(user);
    else this.subscriptions.set(uri, new Set([user]));
    if (live.era === 'modern') void this.openListen(live);
  }

  async unsubscribe(uri: string, user: ConnectionUser, signal?: AbortSignal): Promise<void> {
    const subscribers = this.subscriptions.get(uri);
    if (!subscribers?.delete(user) || subscribers.size > 0) return;
    this.subscriptions.delete(uri);
    const live = this.live;
    if (this.stateValue !== 'connected' || !live) return;
    if (live.era === 'modern') void this.openListen(live);
    else await this.request({ method: 'resources/unsubscribe', params: { uri } }, { signal, caller: user });
  }

  /**
   * The logging level of one user's client. 2025: the upstream is set to the most verbose level any user asked for,
   * and each user gets only what its own level admits (MCP 2025-11-25 server/utilities/logging). 2026 has no
   * logging/setLevel: the caller's level travels in each request's `_meta`.
   */
  async setLogLevel(user: ConnectionUser, level: LoggingLevel): Promise<void> {
    this.logLevels.set(user, level);
    await this.applyLogLevel();
  }

  /** Marks the server as wanting a sign-in, e.g. after a sign-out, and drops its catalog. */
  requireAuth(state: 'auth_required' | 'reauth_required', detail: string): void {
    if (this.stateValue === 'closed') return;
    clearTimeout(this.retryTimer);
    void this.teardown();
    this.setState(state, detail, EMPTY_CATALOG);
  }

  async request(request: Request, options: CallOptions = {}): Promise<PassThroughResult> {
    const live = this.live;
    if (this.stateValue !== 'connected' || !live) throw new UpstreamUnavailableError(this.name, this.stateValue, this.detail);
    const callId = this.nextCallId++;
    const owner: CallOwner = { user: options.caller, requestId: options.downstreamRequestId };
    this.inFlight.set(callId, owner);
    const deadline = new CallDeadline(this.name, this.timeoutMs, options.signal);
    const progressToken = options.onprogress ? live.progress.open((progress) => {
      // A call that keeps reporting progress is alive; MCP 2025-11-25 basic/lifecycle#timeouts allows resetting.
      deadline.restart();
      options.onprogress?.(progress);
    }) : undefined;
    try {
      const params = withMeta(request.params, live.era === 'modern' ? this.modernMeta(progressToken, options.caller, options.clientCapabilities) : progressToken === undefined ? undefined : { progressToken });
      const send = (roundParams: Record<string, unknown> | undefined) => this.send(live, { method: request.method, params: roundParams }, deadline.signal, owner);
      if (live.era === 'modern' && INPUT_REQUIRED_METHODS.has(request.method) && !options.returnInputRequired) {
        return await relayInputRequired(params, send, (input, key) => this.askClient(input, key, deadline.signal, owner));
      }
      return await send(params);
    } catch (error) {
      throw this.translateRequestError(live, deadline.timedOut ?? error);
    } finally {
      deadline.end();
      if (progressToken !== undefined) live.progress.release(progressToken);
      this.inFlight.delete(callId);
    }
  }

  /** Tells the upstream the client's roots changed (MCP 2025-11-25 client/roots#root-list-changes; gone in 2026-07-28). */
  async notifyRootsChanged(): Promise<void> {
    if (!this.options.capabilities.roots?.listChanged || this.live?.era !== 'legacy') return;
    await this.live.client.sendRootsListChanged().catch(() => {});
  }

  async close(): Promise<void> {
    clearTimeout(this.retryTimer);
    const opened = this.live?.opened;
    this.setState('closed', undefined, EMPTY_CATALOG);
    await endSession(opened);
    await this.teardown();
  }

  /** Read through a method: TypeScript would otherwise keep a narrowing across the awaits that can change it. */
  private isClosed(): boolean {
    return this.stateValue === 'closed';
  }

  /** One round of a request: the direct path for 2025 tool calls on Streamable HTTP, the SDK client otherwise. */
  private async send(live: Live, request: { method: string; params?: Record<string, unknown> }, signal: AbortSignal, owner: CallOwner): Promise<PassThroughResult> {
    const direct = live.direct;
    if (direct && request.method === 'tools/call' && (live.era === 'legacy' || isPlainHeaderValue(request.params?.name))) {
      try {
        return await direct.call(request as Request, {
          signal,
          onMessage: (message) => this.fromCallStream(live, message, owner),
          // MCP 2026-07-28: a client cancels by closing the request's stream, which aborting the call does.
          cancel: live.era === 'modern' ? () => {} : (requestId, reason) => void live.client.notification({ method: 'notifications/cancelled', params: { requestId, reason } }).catch(() => {}),
        });
      } catch (error) {
        if (!(error instanceof DirectCallRefused)) throw error;
        // A redirect: the request was not processed. The SDK path follows redirects within the origin; it takes over.
        if (live.direct === direct) live.direct = undefined;
        this.logger.info({ status: error.message }, 'upstream redirects tool calls; using the SDK request path');
      }
    }
    return live.client.request(request as Request, PassThrough, { signal, timeout: NO_SDK_TIMEOUT_MS, allowInputRequired: live.era === 'modern' });
  }

  /**
   * What the upstream sent on a call's own response stream (2025: MCP 2025-11-25 basic/transports, "the server MAY
   * send requests and notifications before sending the response") belongs to that call, even on a connection that
   * several clients share. A request is tied to the call for the request handler (createClient); a log goes straight to
   * the caller. True when the message was taken.
   */
  private fromCallStream(live: Live, message: JSONRPCMessage, owner: CallOwner): boolean {
    if ('method' in message && 'id' in message) {
      live.tied.set(message.id, owner);
      return false;
    }
    if ('method' in message && message.method === 'notifications/message') {
      this.deliverLog(message as Notification, owner);
      return true;
    }
    return false;
  }

  /**
   * Who an upstream message that came with no call of its own belongs to (stdio and SSE have one stream for
   * everything): the user of the calls in flight when they are all one user's, or the only user of the connection.
   */
  private untiedOwner(): CallOwner | undefined {
    let found: CallOwner | undefined;
    for (const owner of this.inFlight.values()) {
      if (!owner.user) continue;
      if (found && found.user !== owner.user) return undefined;
      found ??= owner;
    }
    if (found) return found;
    if (this.users.size === 1) for (const user of this.users) return { user, requestId: undefined };
    return undefined;
  }

  /** A log goes to the call's client, or to every user when it belongs to none; each user gets what its level admits. */
  private deliverLog(notification: Notification, owner: CallOwner | undefined): void {
    const level = (notification.params as { level?: unknown } | undefined)?.level;
    const admits = (user: ConnectionUser) => {
      const wanted = this.logLevels.get(user);
      return wanted === undefined || levelAdmits(wanted, level);
    };
    if (owner?.user) {
      if (admits(owner.user)) owner.user.upstreamNotification(this, notification, owner.requestId);
      return;
    }
    for (const user of this.users) if (admits(user)) user.upstreamNotification(this, notification, undefined);
  }

  /** 2025 era: the upstream's level follows the most verbose one its users' clients set. */
  private async applyLogLevel(): Promise<void> {
    const live = this.live;
    if (!live || live.era !== 'legacy' || this.stateValue !== 'connected' || !this.capabilities?.logging) return;
    const level = mostVerbose(this.logLevels.values());
    if (level === undefined || level === this.sentLogLevel) return;
    this.sentLogLevel = level;
    await this.request({ method: 'logging/setLevel', params: { level } }).catch(() => {
      if (this.sentLogLevel === level) this.sentLogLevel = undefined;
    });
  }

  /**
   * A 2026 request's `_meta`: its progress token and the log level of the caller's client (the most verbose of the
   * users' when no one calls). A 2025 server logs until the client sets a level; a 2026 one logs only when the
   * request names one, so a client that set none gets everything in both eras.
   */
  private modernMeta(progressToken: string | undefined, caller?: ConnectionUser, clientCapabilities?: ClientCapabilities): Record<string, unknown> {
    const level = caller ? this.logLevels.get(caller) : mostVerbose(this.logLevels.values());
    // MCP 2026-07-28 basic/lifecycle: every request declares its client's capabilities, and a server asks only for
    // what was declared. A request on behalf of one client declares what that client can do, not the connection's all.
    const declared = clientCapabilities && Object.fromEntries(Object.entries(this.declaredCapabilities()).flatMap(([name]) => {
      const own = (clientCapabilities as Record<string, unknown>)[name];
      return own === undefined ? [] : [[name, own]];
    }));
    return { ...(progressToken !== undefined && { progressToken }), [LOG_LEVEL_META_KEY]: level ?? 'debug', ...(declared && { [CLIENT_CAPABILITIES_META_KEY]: declared }) };
  }

  /** An embedded request of an input_required result goes to the client that made the call, if it can answer it. */
  private async askClient(input: InputRequest, inputKey: string, signal: AbortSignal, owner: CallOwner): Promise<PassThroughResult> {
    const capability = input.method.split('/')[0] ?? '';
    if (!(capability in this.declaredCapabilities())) {
      throw new UpstreamRequestError(ProtocolErrorCode.MissingRequiredClientCapability, `the client of this switchboard session does not support ${capability} (${input.method})`);
    }
    const target = owner.user ? owner : this.untiedOwner();
    if (!target?.user) throw new UpstreamRequestError(ProtocolErrorCode.InvalidRequest, untiedRequestMessage(input.method));
    return target.user.upstreamRequest(this, input as Request, { signal, relatedRequestId: target.requestId, inputKey });
  }

  private translateRequestError(live: Live, error: unknown): unknown {
    if (error instanceof UpstreamTimeoutError || error instanceof UpstreamUnavailableError || error instanceof UpstreamRequestError) return error;
    if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout) return new UpstreamTimeoutError(this.name, this.timeoutMs);
    // The upstream's own JSON-RPC error, with its text as it was (no SDK prefix).
    if (error instanceof ProtocolError) {
      if (saysVerdictIsStale(error, live.era)) void this.verdictWentStale(live);
      return new UpstreamRequestError(error.code, error.message, error.data);
    }
    if (error instanceof Error && error.name === 'AbortError') return error;
    if (this.lastChallenge) {
      if (this.stateValue === 'connected') this.lostToAuth();
      // Every call caught by the same refusal reports the sign-in state, not just the first one.
      if (this.stateValue === 'auth_required' || this.stateValue === 'reauth_required' || this.options.credentials?.kind === 'static') {
        return new UpstreamUnavailableError(this.name, this.stateValue, this.detail);
      }
    }
    if (saysVerdictIsStale(error, live.era)) {
      void this.verdictWentStale(live);
      return new UpstreamUnavailableError(this.name, 'unreachable', 'the server changed its protocol era; reconnecting');
    }
    // The connection died under the call (issue 6: never a bare "-32000 Connection closed"): say which server and
    // what state it is in now. Anything else (network error, HTTP 5xx, a 404 for a session the upstream forgot):
    // find out whether the upstream is still there; a failed health check reconnects.
    if (error instanceof UpstreamConnectionClosedError || (error instanceof SdkError && error.code === SdkErrorCode.ConnectionClosed)) {
      if (this.live === live && this.stateValue === 'connected') this.connectionLost('the connection closed');
      return new UpstreamUnavailableError(this.name, this.stateValue === 'connected' ? 'unreachable' : this.stateValue, 'the connection closed during the call');
    }
    void this.checkHealth();
    return new UpstreamUnavailableError(this.name, 'unreachable', describe(error));
  }

  /**
   * A background retry (`retrying`) keeps the state the server is in (unreachable, failed) until it succeeds, so a call
   * meanwhile fails at once naming that state instead of waiting on an attempt that will likely fail too.
   */
  private async connect(retrying = false): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.lastChallenge = undefined;
    if (!retrying && this.stateValue !== 'connecting') this.setState('connecting', this.detail);
    const candidates = this.preferredKind ? [this.preferredKind] : transportCandidates(this.options.config);
    let lastError: unknown;
    for (const kind of candidates) {
      try {
        await this.connectWithFreshSocket(kind);
        this.preferredKind = kind;
        return;
      } catch (error) {
        lastError = error;
        // An attempt that failed after the upstream created a session (e.g. on its first list) leaves it behind.
        if (!this.lastChallenge) await endSession(this.live?.opened);
        await this.teardown();
        if (this.lastChallenge || !shouldFallBackToSse(error)) break;
      }
    }
    if (this.isClosed()) return;
    if (this.lastChallenge) {
      this.lostToAuth();
      return;
    }
    const state = isNetworkError(lastError) ? 'unreachable' : 'failed';
    const delay = backoffDelay(this.attempt++, this.options.backoff);
    // One warning when the server goes down; the retries after it are debug noise.
    const level = state === this.stateValue ? 'debug' : 'warn';
    this.logger[level]({ state, error: describe(lastError), retryInMs: delay }, 'upstream connection failed');
    this.setState(state, describe(lastError), EMPTY_CATALOG);
    this.retryIn(delay);
  }

  private retryIn(delayMs: number): void {
    this.retryTimer = setTimeout(() => void this.connect(true), delayMs);
    this.retryTimer.unref();
  }

  /**
   * A keep-alive socket that the server closed just as we reused it fails the request with ECONNRESET (or undici's
   * "other side closed"), usually before the server saw it (RFC 9112 section 9.3.1 allows a retry; a replayed
   * `initialize` or probe at worst leaves an unused upstream session). Seen in the benchmark when 100 connections
   * opened as the server timed out the idle sockets of the monitor's. One immediate retry of the whole connect;
   * anything else, or a second failure, goes the usual way (backoff).
   */
  private async connectWithFreshSocket(kind: TransportKind): Promise<void> {
    try {
      await this.connectWith(kind);
    } catch (error) {
      if (!isResetSocket(error) || this.lastChallenge || this.isClosed()) throw error;
      await this.teardown();
      await this.connectWith(kind);
    }
  }

  /**
   * Connects over one transport. The era comes from the cached verdict when there is one (SDK v2 `connect(transport,
   * { prior })`: no round trip for a 2026 server, straight to `initialize` for a 2025 one), else from one
   * `server/discover` probe (`versionNegotiation: { mode: 'auto' }`), whose outcome is cached. A connect that fails
   * in a way that says the verdict is stale forgets it and probes again, once. Legacy HTTP+SSE is 2025 by definition.
   */
  private async connectWith(kind: TransportKind): Promise<void> {
    const key = verdictKey(this.options.config, await this.credentialContext());
    const cached = kind === 'sse' ? LEGACY : await this.verdicts.get(key);
    try {
      await this.connectOnce(kind, key, cached);
    } catch (error) {
      if (!cached || kind === 'sse' || this.lastChallenge || this.isClosed() || !saysVerdictIsStale(error, cached.kind)) throw error;
      this.logger.info({ verdict: cached.kind, error: describe(error) }, 'the cached protocol era of the upstream is stale; probing again');
      await this.verdicts.delete(key);
      await this.teardown();
      await this.connectOnce(kind, key, undefined);
    }
  }

  private async connectOnce(kind: TransportKind, key: string, prior: PriorDiscovery | undefined): Promise<void> {
    const opened = createTransport(kind, {
      config: this.options.config,
      logger: this.logger,
      credentials: this.options.credentials,
      onAuthChallenge: (challenge) => {
        this.lastChallenge = challenge;
      },
    });
    const client = this.createClient();
    const live: Live = { client, opened, era: 'legacy', direct: undefined, progress: new ProgressRelay(), verdictKey: key, tied: new Map() };
    this.live = live;
    await client.connect(opened.transport, { timeout: this.timeoutMs, ...(prior && { prior }) });
    if (this.live !== live) throw new Error('connection superseded');
    live.era = client.getProtocolEra() ?? 'legacy';
    if (!prior && kind !== 'sse') {
      const discover = client.getDiscoverResult();
      await this.verdicts.set(key, discover ? modernVerdict(discover) : LEGACY);
    }
    live.progress.install(opened.transport);
    if (opened.post && opened.transport instanceof StreamableHTTPClientTransport) {
      const envelope = live.era === 'modern' ? {
        [PROTOCOL_VERSION_META_KEY]: client.getNegotiatedProtocolVersion(),
        [CLIENT_INFO_META_KEY]: CLIENT_INFO,
        [CLIENT_CAPABILITIES_META_KEY]: this.declaredCapabilities(),
      } : undefined;
      const toolSchema = (name: string) => this.catalogValue.tools.find((tool) => tool.name === name)?.inputSchema;
      live.direct = new DirectCaller({ server: this.name, transport: opened.transport, post: opened.post, logger: this.logger, envelope, toolSchema });
    }
    this.capabilities = client.getServerCapabilities();
    // 2026: subscribe first, then list, so that no change between the listing and the subscription is missed.
    if (live.era === 'modern') await this.openListen(live);
    const listed = await listParts(client, ALL_PARTS, { timeoutMs: this.timeoutMs, logger: this.logger, meta: live.era === 'modern' ? this.modernMeta(undefined) : undefined });
    if (this.live !== live) throw new Error('connection superseded');
    this.attempt = 0;
    client.onclose = () => this.onTransportClosed(live);
    client.onerror = () => void this.checkHealth();
    this.logger.info({ transport: kind, era: live.era, verdict: prior ? 'cached' : 'probed', tools: listed.tools?.length ?? 0 }, 'upstream connected');
    this.setState('connected', undefined, { ...EMPTY_CATALOG, ...listed });
    if (this.refreshAfterListing.size > 0) {
      const parts = new Set(this.refreshAfterListing);
      this.refreshAfterListing.clear();
      void this.refreshCatalog(client, parts);
    }
    this.sentLogLevel = undefined;
    await this.applyLogLevel();
    // A 2025 session starts with no subscriptions; the ones its users hold are made again (2026: the listen filter has them).
    if (live.era === 'legacy') {
      for (const uri of this.subscriptions.keys()) void this.request({ method: 'resources/subscribe', params: { uri } }).catch(() => {});
    }
  }

  /**
   * The credential the verdict is keyed by (see verdicts.ts): static headers and whom the credentials speak for. Not
   * the token itself: a refresh changes it, and would cost a probe each time, for the same principal.
   */
  private async credentialContext(): Promise<string | undefined> {
    const config = this.options.config;
    const staticHeaders = isRemote(config) ? config.headers : undefined;
    const identity = this.options.credentials?.identity;
    if (!staticHeaders && identity === undefined) return undefined;
    return JSON.stringify([staticHeaders ?? {}, identity ?? null]);
  }

  private declaredCapabilities(): SdkClientCapabilities {
    const clients = this.options.capabilities;
    const declared: SdkClientCapabilities = {};
    if (clients.sampling) declared.sampling = clients.sampling as SdkClientCapabilities['sampling'];
    if (clients.elicitation) declared.elicitation = clients.elicitation as SdkClientCapabilities['elicitation'];
    if (clients.roots) declared.roots = clients.roots as SdkClientCapabilities['roots'];
    return declared;
  }

  private createClient(): Client {
    const declared = this.declaredCapabilities();
    const client = new Client(
      CLIENT_INFO,
      { capabilities: declared, versionNegotiation: { mode: 'auto' }, inputRequired: { autoFulfill: false } },
    );

    // 2025 era: requests the downstream client supports are forwarded; anything else gets a clear error instead of
    // the SDK's bare "method not found". (2026: they arrive inside input_required results, see request().)
    client.fallbackRequestHandler = async (request, ctx) => {
      const capability = request.method.split('/')[0] ?? '';
      if (capability === 'sampling' || capability === 'elicitation' || capability === 'roots') {
        if (!(capability in declared)) {
          throw new ProtocolError(ProtocolErrorCode.MethodNotFound, `the client of this switchboard session does not support ${capability} (${request.method})`);
        }
        // On a call's own stream it is that call's (fromCallStream); otherwise it must be clear whose client to ask.
        const live = this.live;
        const tied = live?.tied.get(ctx.mcpReq.id);
        if (tied) live?.tied.delete(ctx.mcpReq.id);
        const owner = tied?.user ? tied : this.untiedOwner();
        if (!owner?.user) throw new ProtocolError(ProtocolErrorCode.InvalidRequest, untiedRequestMessage(request.method));
        return owner.user.upstreamRequest(this, request as Request, { signal: ctx.mcpReq.signal, relatedRequestId: owner.requestId });
      }
      throw new ProtocolError(ProtocolErrorCode.MethodNotFound, `switchboard does not relay ${request.method}`);
    };

    const refresh = (parts: CatalogPart[]) => () => void this.refreshCatalog(client, new Set(parts));
    client.setNotificationHandler('notifications/tools/list_changed', refresh(['tools']));
    client.setNotificationHandler('notifications/prompts/list_changed', refresh(['prompts']));
    client.setNotificationHandler('notifications/resources/list_changed', refresh(['resources', 'resourceTemplates']));
    client.setNotificationHandler('notifications/message', (notification) => this.deliverLog(notification as Notification, this.untiedOwner()));
    client.setNotificationHandler('notifications/resources/updated', (notification) => {
      const uri = (notification.params as { uri?: unknown } | undefined)?.uri;
      for (const user of (typeof uri === 'string' && this.subscriptions.get(uri)) || []) user.upstreamNotification(this, notification as Notification, undefined);
    });
    return client;
  }

  /**
   * 2026 era: list changes and resource updates come only on a subscriptions/listen stream (MCP 2026-07-28,
   * subscriptions; a connect with a prior verdict opens none by itself). Opened after connecting, and again when
   * the subscribed resources change; a stream the server dropped is opened again, and one that cannot be is a lost
   * connection.
   */
  private async openListen(live: Live): Promise<void> {
    const caps = live.client.getServerCapabilities() ?? {};
    const filter = {
      ...(caps.tools?.listChanged && { toolsListChanged: true }),
      ...(caps.prompts?.listChanged && { promptsListChanged: true }),
      ...(caps.resources?.listChanged && { resourcesListChanged: true }),
      ...(caps.resources?.subscribe && this.subscriptions.size > 0 && { resourceSubscriptions: [...this.subscriptions.keys()] }),
    };
    const previous = live.listen;
    live.listen = undefined;
    await previous?.close().catch(() => {});
    if (Object.keys(filter).length === 0 || this.live !== live) return;
    let subscription: McpSubscription;
    try {
      subscription = await live.client.listen(filter, { timeout: this.timeoutMs });
    } catch (error) {
      // While connecting, the connect fails with it; later, the connection is lost.
      if (this.stateValue === 'connecting') throw error;
      if (this.live === live && this.stateValue === 'connected') this.connectionLost(`could not open the listen stream: ${describe(error)}`);
      return;
    }
    if (this.live !== live) {
      await subscription.close().catch(() => {});
      return;
    }
    live.listen = subscription;
    void subscription.closed.then((reason) => {
      if (reason === 'remote' && this.live === live && live.listen === subscription && this.stateValue === 'connected') void this.openListen(live);
    });
  }

  /**
   * Replaces only the parts it re-listed, in the catalog as it is when the listing ends (issue 6: a list_changed
   * during the first listing used to take the still-empty catalog as its base). A change announced before the first
   * listing is in waits for it, so the newer listing is always the one that lands.
   */
  private async refreshCatalog(client: Client, parts: ReadonlySet<CatalogPart>): Promise<void> {
    const live = this.live;
    if (live?.client === client && this.stateValue === 'connecting') {
      for (const part of parts) this.refreshAfterListing.add(part);
      return;
    }
    try {
      const listed = await listParts(client, parts, { timeoutMs: this.timeoutMs, logger: this.logger, meta: live?.era === 'modern' ? this.modernMeta(undefined) : undefined });
      if (this.live?.client !== client || this.stateValue !== 'connected') return;
      this.catalogValue = { ...this.catalogValue, ...listed };
      this.changed(parts);
    } catch (error) {
      this.logger.warn({ error: describe(error) }, 'could not refresh the upstream catalog');
    }
  }

  private onTransportClosed(live: Live): void {
    if (this.live !== live || this.stateValue !== 'connected') return;
    this.connectionLost('the connection closed');
  }

  /** The server answered as if it spoke another era than its cached verdict says: forget it and connect again. */
  private async verdictWentStale(live: Live): Promise<void> {
    await this.verdicts.delete(live.verdictKey);
    if (this.live === live && this.stateValue === 'connected') this.connectionLost('the server changed its protocol era');
  }

  /**
   * A liveness check, after a transport error and periodically (health.ts): it tells a passing hiccup from a dead
   * upstream. 2025: ping. 2026 has no ping; `server/discover` answers the same question and re-checks the era verdict
   * at once. Resolves with the round trip in ms; undefined when not connected, a check is under way, or it failed
   * (the state then says why).
   */
  async checkHealth(): Promise<number | undefined> {
    const live = this.live;
    if (!live || this.stateValue !== 'connected' || this.checkingHealth) return undefined;
    this.checkingHealth = true;
    const started = performance.now();
    try {
      if (live.era === 'modern') await live.client.discover({ timeout: HEALTH_CHECK_TIMEOUT_MS });
      else await live.client.ping({ timeout: HEALTH_CHECK_TIMEOUT_MS });
      return performance.now() - started;
    } catch (error) {
      if (this.live === live && this.stateValue === 'connected') {
        if (this.lastChallenge) this.lostToAuth();
        else if (saysVerdictIsStale(error, live.era)) void this.verdictWentStale(live);
        else this.connectionLost(describe(error));
      }
      return undefined;
    } finally {
      this.checkingHealth = false;
    }
  }

  private connectionLost(reason: string): void {
    this.logger.warn({ reason }, 'upstream connection lost; reconnecting');
    this.setState('unreachable', reason, EMPTY_CATALOG);
    void this.teardown().then(() => this.retryIn(backoffDelay(this.attempt++, this.options.backoff)));
  }

  private lostToAuth(): void {
    const challenge = this.lastChallenge;
    const credentials = this.options.credentials;
    if (credentials?.kind === 'static') {
      // The operator's own credentials were refused: a configuration problem, not a sign-in. Retried with backoff,
      // so the server comes back once its credentials are accepted again.
      const detail = `authentication failed: the server refused the configured credentials (HTTP ${challenge?.status ?? 401})`;
      // One warning when it starts; the retries after it are debug noise.
      this.logger[this.detail === detail ? 'debug' : 'warn']({ status: challenge?.status }, 'upstream refused the configured credentials');
      void this.teardown();
      this.setState('failed', detail, EMPTY_CATALOG);
      this.retryIn(backoffDelay(this.attempt++, this.options.backoff));
      return;
    }
    this.logger.info({ status: challenge?.status }, 'upstream wants a sign-in');
    void this.teardown();
    const state = credentials?.authState() ?? 'auth_required';
    this.setState(state, challenge?.status === 403 ? 'the server wants a wider scope' : 'the server wants a sign-in', EMPTY_CATALOG);
  }

  private async teardown(): Promise<void> {
    const live = this.live;
    this.live = undefined;
    this.refreshAfterListing.clear();
    this.capabilities = undefined;
    if (!live) return;
    live.direct?.abortAll();
    live.client.onclose = undefined;
    live.client.onerror = undefined;
    await live.listen?.close().catch(() => {});
    live.opened.abortAll();
    await live.client.close().catch(() => {});
  }

  /** Tells the session what changed: the parts whose lists differ (a state change alone changes none of them). */
  private setState(state: UpstreamState, detail: string | undefined, catalog?: UpstreamCatalog): void {
    const stateChanged = state !== this.stateValue;
    const parts = new Set<CatalogPart>();
    if (catalog) for (const part of ALL_PARTS) if (listDiffers(this.catalogValue[part], catalog[part])) parts.add(part);
    this.stateValue = state;
    this.detail = detail;
    if (catalog) this.catalogValue = catalog;
    if (state !== 'connecting') {
      const waiters = this.settledWaiters;
      this.settledWaiters = [];
      for (const wake of waiters) wake();
    }
    if (stateChanged || parts.size > 0) this.changed(parts);
  }

  private changed(parts: ReadonlySet<CatalogPart>): void {
    for (const user of this.users) user.upstreamChanged(this, parts);
  }
}

const LEGACY: PriorDiscovery = { kind: 'legacy' };

function untiedRequestMessage(method: string): string {
  return `switchboard cannot tell which of its clients ${method} is for: it came outside any call, on a connection that several clients share`;
}
const CLIENT_INFO = { name: 'switchboard', version: '0.1.0' };

/** A tool name the `Mcp-Name` header carries as it is; others (which would need the SDK's encoding) take the SDK path. */
function isPlainHeaderValue(value: unknown): boolean {
  return typeof value === 'string' && /^[A-Za-z0-9._-]{1,128}$/.test(value);
}

/**
 * A call's time limit (the server's timeoutMs), restarted by progress, and the client's cancellation, as one signal
 * for whichever path sends the call. `timedOut` holds the error once the limit passed.
 */
class CallDeadline {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout;
  timedOut: UpstreamTimeoutError | undefined;
  private readonly onAbort: () => void;

  constructor(private readonly server: string, private readonly timeoutMs: number, private readonly outer: AbortSignal | undefined) {
    this.timer = this.arm();
    this.onAbort = () => this.controller.abort(outer?.reason);
    if (outer?.aborted) this.onAbort();
    else outer?.addEventListener('abort', this.onAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  restart(): void {
    clearTimeout(this.timer);
    this.timer = this.arm();
  }

  end(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.onAbort);
  }

  private arm(): NodeJS.Timeout {
    return setTimeout(() => {
      this.timedOut = new UpstreamTimeoutError(this.server, this.timeoutMs);
      this.controller.abort(this.timedOut);
    }, this.timeoutMs);
  }
}

function withMeta(params: Request['params'], meta: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!meta) return params;
  return { ...params, _meta: { ...params?._meta, ...meta } };
}

/**
 * MCP 2025-11-25 basic/transports#session-management: a client that no longer needs a session SHOULD end it with an
 * HTTP DELETE. Without it every upstream holds every session switchboard ever opened, for as long as it runs.
 * (A 2026-07-28 connection has no session id, so there is nothing to end.)
 */
async function endSession(opened: OpenedTransport | undefined): Promise<void> {
  const transport = opened?.transport;
  if (!(transport instanceof StreamableHTTPClientTransport) || transport.sessionId === undefined) return;
  // Once more after a network error: a keep-alive socket the server closed just as it was reused fails the first try.
  const attempt = () => transport.terminateSession().then(() => true, () => false);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    attempt().then((ended) => (ended ? undefined : attempt())),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SESSION_END_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
}

function listDiffers(before: readonly unknown[], after: readonly unknown[]): boolean {
  return before !== after && (before.length > 0 || after.length > 0);
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

function isResetSocket(error: unknown): boolean {
  for (let current = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 4; current = current.cause as typeof current, depth++) {
    if (current.code === 'ECONNRESET' || current.code === 'UND_ERR_SOCKET') return true;
  }
  return false;
}

function isNetworkError(error: unknown): boolean {
  if (error instanceof SdkError) {
    if (error.code === SdkErrorCode.RequestTimeout || error.code === SdkErrorCode.ConnectionClosed) return true;
  }
  for (let current = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 4; current = current.cause as typeof current, depth++) {
    if (typeof current.code === 'string' && NETWORK_CODES.has(current.code)) return true;
    if (current instanceof TypeError && current.message === 'fetch failed') return true;
  }
  return false;
}

/** Error texts of HTTP libraries can quote response bodies; keep them short. They never contain our credentials. */
function describe(error: unknown): string {
  let text = error instanceof Error ? error.message : String(error);
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') text += ` (${cause.code})`;
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
