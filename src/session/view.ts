import {
  isInputRequiredResult,
  ProtocolErrorCode,
  SERVER_INFO_META_KEY,
  type CallToolResult,
  type ClientCapabilities,
  type CompleteRequestParams,
  type GetPromptRequestParams,
  type GetPromptResult,
  type ListToolsResult,
  type LoggingLevel,
  type Notification,
  type ReadResourceRequestParams,
  type Request,
  type RequestId,
  type Tool,
} from '@modelcontextprotocol/server';
import type { AuthManager, SignInState } from '../auth/index.js';
import { publicUri, resultWithPublicUris, serverFilter, SessionCatalog, type Route, type ServerFilter } from '../catalog/index.js';
import { isRemote, type Config, type ServerChange } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import { principalKey, type Principal } from '../principal/index.js';
import type { ServerScope } from '../visibility/index.js';
import {
  UpstreamConnection,
  UpstreamRequestError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
  type CatalogPart,
  type ConnectionPool,
  type ConnectionUser,
  type HealthMonitor,
  type LeaseRequest,
} from '../upstream/index.js';
import { AuthTools, AUTH_STATUS_URI, type UrlElicitation } from './auth-tools.js';
import { missingCapability } from './capabilities.js';
import { ForeignRequestStateError, NotOfferedError, UnanswerableRequestError } from './errors.js';
import { roundCall, UpstreamInputRound } from './rounds.js';

/**
 * The downstream side of a view: how what upstreams send reaches the client(s) of this principal. A legacy session
 * has one, pushing over its live connection (src/session/legacy.ts); the modern era has one per principal, publishing
 * to listen streams and turning server-to-client requests into input-required results (src/session/modern.ts).
 */
export interface DownstreamFace {
  /** What the upstreams are told the client can do. */
  readonly clientCapabilities: ClientCapabilities;
  /** `inputKey`: the upstream's key for the request when it came inside an input-required result (2026-07-28). */
  forwardRequest(request: Request, options: { signal: AbortSignal; relatedRequestId?: RequestId; inputKey?: string }): Promise<Record<string, unknown>>;
  /** A notification for the client, on the stream of the request it belongs to when there is one. */
  sendNotification(notification: Notification, relatedRequestId?: RequestId): Promise<void>;
  listChanged(part: 'tools' | 'prompts' | 'resources'): void;
  resourceUpdated(uri: string): void;
  /** SEP-1036 URL-mode elicitation for a sign-in; false when this client cannot be asked to open a URL. */
  elicitUrl(elicitation: UrlElicitation, relatedRequestId: RequestId | undefined): boolean;
  /** `notifications/elicitation/complete` where the era has it. */
  completeElicitation(elicitationId: string): void;
}

/** What relaying a request needs from the client request it serves. */
export interface RelayContext {
  signal: AbortSignal;
  /** The downstream request, so what an upstream sends during the call can be related to it. */
  requestId?: RequestId;
  sendNotification?: (notification: Notification) => Promise<void>;
  /** 2026-07-28: the capabilities the client declared on this request (a 2025 session's are the session's). */
  clientCapabilities?: ClientCapabilities;
  /**
   * 2026-07-28 client: a 2026 upstream's input_required result ends the request as an UpstreamInputRound (rounds.ts),
   * for the client to answer by retrying, instead of waiting here for its answers.
   */
  statelessRounds?: boolean;
  /** The retry of such a round: the call it must be, the upstream's own requestState and the client's answers. */
  continuation?: UpstreamContinuation;
}

/** The client's retry of a 2026 upstream's input round (basic/patterns/mrtr), from switchboard's sealed requestState. */
export interface UpstreamContinuation {
  /** roundCall() of the request the round belongs to. */
  call: string;
  upstreamState?: string;
  inputResponses: Record<string, unknown>;
}

export interface ViewOptions {
  /** Who owns the connections and sign-ins; absent when nobody does (public servers only, no sign-in offered). */
  principal: Principal | undefined;
  config: Config;
  /** Where the upstream connections come from; a view leases them and gives them back when it closes. */
  pool: ConnectionPool;
  logger: Logger;
  metrics: Metrics;
  /** Upstream OAuth; without it a 401 still shows as auth_required, but no sign-in can be offered. */
  auth?: AuthManager;
  /** Shown for a server that needs a sign-in when this view cannot offer one (no principal). */
  noSignInMessage?: (server: string) => string;
  /** The servers this view offers (src/visibility); default every configured server. */
  scope?: ServerScope;
  /** Each server's health, shown in auth://status. */
  health?: HealthMonitor;
}

/**
 * One server as a view sees it: the server's shared connection, or the principal's own connection once the server
 * turned out to want a sign-in (then it is reached with the principal's credentials).
 */
interface ServerSlot {
  name: string;
  prefix: boolean;
  connection: UpstreamConnection;
  own: boolean;
  /** What the operator lets through of this server (config `tools`, `prompts`, `resources`). */
  filter: ServerFilter | undefined;
}

let nextViewId = 0;

/**
 * One principal's view of the upstreams: a connection to every upstream leased from the pool (shared with other views
 * where the server is public, the principal's own where it wants a sign-in, see src/upstream/pool.ts), the merged
 * catalog over them, its sign-in state and switchboard's own tools. The data flow downstream front → view → catalog →
 * upstream; the face carries messages back.
 */
export class PrincipalView implements ConnectionUser {
  private readonly id = nextViewId++;
  private readonly catalog: SessionCatalog;
  private readonly slots: ServerSlot[] = [];
  private readonly logger: Logger;
  private readonly auth: SignInState | undefined;
  private readonly authTools: AuthTools | undefined;
  private readonly stopHearingSignIns: (() => void) | undefined;
  private face: DownstreamFace | undefined;
  private authStatusWatched = false;
  private startedValue = false;
  private listWaitDone = false;
  private closed = false;
  /** While above zero, catalog changes are collected and announced once at the end (see batch()). */
  private batchDepth = 0;
  private readonly pendingParts = new Set<CatalogPart>();
  /** switchboard's own tools as last listed, to tell when they changed. */
  private ownToolsKey = '[]';
  /** Bumped whenever the catalog is rebuilt; the serialised tools/list is cached per version. */
  private catalogVersion = 0;
  private toolsListCache: { version: number; json: Buffer } | undefined;
  /** The client's logging level, applied to every connection the view uses. */
  private logLevel: LoggingLevel | undefined;

  constructor(private readonly options: ViewOptions) {
    this.logger = options.logger;
    this.catalog = new SessionCatalog(options.config.naming.maxLength, this.logger);
    if (options.auth && options.principal) {
      this.auth = options.auth.signIns.acquire(options.principal);
      this.stopHearingSignIns = this.auth.onSignedIn(({ connect, elicitationId }) => void this.reconnect(connect).then(() => {
        if (elicitationId) this.face?.completeElicitation(elicitationId);
      }));
      this.authTools = new AuthTools(this.auth, {
        elicitUrl: (elicitation, requestId) => this.face?.elicitUrl(elicitation, requestId) ?? false,
        servers: () => this.slots.map((s) => s.name),
        maxNameLength: options.config.naming.maxLength,
        state: (name) => this.connection(name)?.state,
        stateDetail: (name) => this.connection(name)?.stateDetail,
        health: (name) => options.health?.health(name),
        reconnect: (servers) => this.reconnect(servers),
        signedOut: (servers) => servers.forEach((name) => this.connection(name)?.requireAuth('auth_required', 'signed out')),
      });
    }
  }

  /** Set once, before start(): where messages for the client go. */
  attach(face: DownstreamFace): void {
    this.face = face;
  }

  get principal(): Principal | undefined {
    return this.options.principal;
  }

  get started(): boolean {
    return this.startedValue && !this.closed;
  }

  get clientCapabilities(): ClientCapabilities {
    return this.face?.clientCapabilities ?? {};
  }

  /** Connects servers again and waits for the attempts; the client hears one list_changed for all of them. */
  private reconnect(servers: readonly string[]): Promise<void> {
    return this.batch(() => Promise.all(servers.map((name) => this.connection(name)?.reconnect())).then(() => {}));
  }

  private connection(name: string): UpstreamConnection | undefined {
    return this.slots.find((s) => s.name === name)?.connection;
  }

  private get connections(): UpstreamConnection[] {
    return this.slots.map((s) => s.connection);
  }

  /**
   * Ends the view. Its tokens are deleted when the principal itself ended (the client's DELETE, idle expiry), and
   * kept when switchboard is only stopping, so a principal that outlives the process (the local user) keeps its sign-ins.
   */
  async close(options: { forgetTokens: boolean }): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const slot of this.slots) this.options.pool.release(slot.connection, this);
    this.stopHearingSignIns?.();
    if (this.auth) await this.options.auth?.signIns.release(this.auth, options);
  }

  // --- ConnectionUser: what upstream connections send toward the client ---

  upstreamRequest(connection: UpstreamConnection, request: Request, options: { signal: AbortSignal; relatedRequestId?: RequestId; inputKey?: string }) {
    if (!this.face) return Promise.reject(new UnanswerableRequestError('no-client', request.method));
    // Connections declare every capability switchboard relays (they are shared); this client may lack it.
    const missing = missingCapability(request, this.face.clientCapabilities);
    if (missing) return Promise.reject(new UnanswerableRequestError('missing-capability', missing));
    return this.face.forwardRequest(request, options);
  }

  upstreamNotification(connection: UpstreamConnection, notification: Notification, relatedRequestId: RequestId | undefined): void {
    if (this.closed || !this.face) return;
    const server = connection.name;
    if (notification.method === 'notifications/resources/updated') {
      const prefix = this.slots.find((s) => s.connection === connection)?.prefix ?? true;
      this.face.resourceUpdated(publicUri(server, String(notification.params?.uri ?? ''), prefix));
      return;
    }
    let forwarded = notification;
    if (notification.method === 'notifications/message') {
      const params = notification.params ?? {};
      forwarded = { ...notification, params: { ...params, logger: typeof params.logger === 'string' ? `${server}/${params.logger}` : server } };
    }
    void this.face.sendNotification(forwarded, relatedRequestId).catch((error: unknown) => {
      this.logger.debug({ server, error: String(error) }, 'could not forward a notification');
    });
  }

  upstreamChanged(connection: UpstreamConnection, parts: ReadonlySet<CatalogPart>): void {
    if (this.closed) return;
    const slot = this.slots.find((s) => s.connection === connection);
    if (slot && !slot.own && this.auth && (connection.state === 'auth_required' || connection.state === 'reauth_required')) {
      this.useOwnConnection(slot);
      return;
    }
    this.onUpstreamChange(parts);
  }

  // --- upstream lifecycle ---

  /**
   * Leases a connection to every upstream (the client's `initialized`, or a modern view's first request). Every
   * server starts on its shared connection; one that wants a sign-in moves to the principal's own (useOwnConnection).
   */
  start(): void {
    if (this.startedValue || this.closed) return;
    this.startedValue = true;
    for (const name of this.offeredServers()) this.slots.push(this.lease(name));
    for (const slot of this.slots) this.moveIfRefused(slot);
    this.onUpstreamChange(new Set(['tools', 'prompts', 'resources', 'resourceTemplates']));
  }

  /**
   * The configuration changed (hot reload, the admin API): removed and reconfigured servers are let go, new and
   * reconfigured ones leased, in config order; the client hears one list_changed. The pool has closed the connections
   * of the old configurations already (src/switchboard.ts applies a change to the pool first).
   */
  serversChanged(change: ServerChange): void {
    if (!this.startedValue || this.closed) return;
    const gone = new Set([...change.removed, ...change.updated]);
    for (const slot of this.slots.filter((s) => gone.has(s.name))) {
      this.options.pool.release(slot.connection, this);
      this.auth?.forget(slot.name);
    }
    const kept = new Map(this.slots.filter((s) => !gone.has(s.name)).map((s) => [s.name, s]));
    this.slots.splice(0, this.slots.length, ...this.offeredServers().map((name) => kept.get(name) ?? this.lease(name)));
    for (const slot of this.slots) this.moveIfRefused(slot);
    this.authTools?.serversChanged();
    this.onUpstreamChange(new Set(['tools', 'prompts', 'resources', 'resourceTemplates']));
  }

  /** The configured servers this view offers (its principal's visibility, src/visibility), in config order. */
  private offeredServers(): string[] {
    return Object.keys(this.options.config.mcpServers).filter((name) => this.options.scope?.offers(name) ?? true);
  }

  /** A server as this view starts on it: its shared connection, or one of the view's own for an isolated stdio server. */
  private lease(name: string): ServerSlot {
    const serverConfig = this.options.config.mcpServers[name]!;
    const lease: LeaseRequest = { server: name, capabilities: this.clientCapabilities };
    if (!isRemote(serverConfig) && serverConfig.isolation === 'session') lease.owner = `view:${this.id}`;
    const connection = this.options.pool.acquire(lease, this);
    if (this.logLevel) void connection.setLogLevel(this, this.logLevel);
    return { name, prefix: serverConfig.prefix, connection, own: false, filter: serverFilter(serverConfig) };
  }

  private moveIfRefused(slot: ServerSlot): void {
    const state = slot.connection.state;
    if (this.auth && (state === 'auth_required' || state === 'reauth_required')) this.useOwnConnection(slot);
  }

  /**
   * The server refused its shared connection for want of a sign-in: from now on this view reaches it with the
   * principal's credentials, on a connection of the principal's own (which finds a stored sign-in at its issuer by
   * itself: single sign-on).
   */
  private useOwnConnection(slot: ServerSlot): void {
    const principal = this.options.principal;
    if (!this.auth || !principal || slot.own) return;
    const shared = slot.connection;
    slot.connection = this.options.pool.acquire({
      server: slot.name,
      owner: principalKey(principal),
      credentials: this.auth.credentials(slot.name),
      capabilities: this.clientCapabilities,
    }, this);
    slot.own = true;
    this.options.pool.release(shared, this);
    if (this.logLevel) void slot.connection.setLogLevel(this, this.logLevel);
    this.onUpstreamChange(new Set(['tools', 'prompts', 'resources', 'resourceTemplates']));
  }

  async rootsChanged(): Promise<void> {
    await Promise.all(this.connectedUpstreams().map((c) => c.notifyRootsChanged()));
  }

  async setLogLevel(level: LoggingLevel): Promise<void> {
    this.logLevel = level;
    await Promise.all(this.connections.map((c) => c.setLogLevel(this, level)));
  }

  private onUpstreamChange(changed: ReadonlySet<CatalogPart>): void {
    if (this.closed) return;
    const ownTools = this.authTools?.tools() ?? [];
    const ownToolsKey = JSON.stringify(ownTools);
    const parts = new Set(changed);
    // A state change alone can still change switchboard's own tools (authenticate_<server> comes and goes).
    if (ownToolsKey !== this.ownToolsKey) parts.add('tools');
    this.ownToolsKey = ownToolsKey;
    this.catalog.rebuild(this.slots.map((s) => ({ connection: s.connection, prefix: s.prefix, filter: s.filter })), ownTools);
    this.catalogVersion++;
    if (this.authStatusWatched && this.authTools) this.face?.resourceUpdated(AUTH_STATUS_URI);
    // Before its first listing the client has no list to refresh; that listing waits for connecting upstreams instead.
    if (!this.listWaitDone) return;
    for (const part of parts) this.pendingParts.add(part);
    if (this.batchDepth === 0) this.announceChanges();
  }

  private announceChanges(): void {
    const parts = this.pendingParts;
    if (parts.has('tools')) this.face?.listChanged('tools');
    if (parts.has('prompts')) this.face?.listChanged('prompts');
    if (parts.has('resources') || parts.has('resourceTemplates')) this.face?.listChanged('resources');
    parts.clear();
  }

  /** Several upstream changes (e.g. the servers of one issuer connecting after a sign-in) reach the client as one list_changed. */
  private async batch(work: () => Promise<void>): Promise<void> {
    this.batchDepth++;
    try {
      await work();
    } finally {
      this.batchDepth--;
      if (this.batchDepth === 0 && !this.closed) this.announceChanges();
    }
  }

  /** The first list of a view gives upstreams that are still connecting a moment, so a fresh client sees a full catalog. */
  private async firstListWait(): Promise<void> {
    if (this.listWaitDone) return;
    await this.settleConnecting();
    this.listWaitDone = true;
  }

  /** Waits for connecting upstreams, again for a server that moved to the principal's own connection meanwhile. */
  private async settleConnecting(): Promise<void> {
    this.start();
    const deadline = Date.now() + this.options.config.sessions.firstListWaitMs;
    for (;;) {
      const waiting = this.connections.filter((c) => c.state === 'connecting');
      const left = deadline - Date.now();
      if (waiting.length === 0 || left <= 0 || this.closed) return;
      await Promise.all(waiting.map((c) => c.settled(left)));
    }
  }

  private connectedUpstreams(): UpstreamConnection[] {
    return this.connections.filter((c) => c.state === 'connected');
  }


  // --- requests from the client ---

  /** Whether `name` is an upstream's tool this view routes now (switchboard's own tools are not). */
  routesTool(name: string): boolean {
    return this.started && this.catalog.tool(name) !== undefined;
  }

  async listTools(): Promise<ListToolsResult> {
    await this.firstListWait();
    return this.withAuthMeta({ tools: [...this.catalog.tools] });
  }

  /** A tool as this view lists it (its public name), if it lists it now. */
  toolDefinition(name: string): Tool | undefined {
    return this.catalog.toolDefinition(name);
  }

  /** The tools/list result as UTF-8 JSON, serialised and encoded once per catalog version: 5,000 tools are megabytes. */
  async toolsListJson(): Promise<Buffer> {
    await this.firstListWait();
    if (this.toolsListCache?.version !== this.catalogVersion) {
      this.toolsListCache = { version: this.catalogVersion, json: Buffer.from(JSON.stringify(this.withAuthMeta({ tools: this.catalog.tools }))) };
    }
    return this.toolsListCache.json;
  }

  async listPrompts() {
    await this.firstListWait();
    return { prompts: [...this.catalog.prompts] };
  }

  async getPrompt(params: GetPromptRequestParams, context: RelayContext) {
    const route = await this.settledRoute(() => this.catalog.prompt(params.name));
    if (!route) throw this.notOffered('prompt', params.name);
    const result = await this.relay(route, { method: 'prompts/get', params: { ...params, name: route.upstreamName } }, context);
    return resultWithPublicUris(result as GetPromptResult, route.connection.name, route.prefix);
  }

  async listResources() {
    await this.firstListWait();
    const own = this.authTools ? [this.authTools.statusResource] : [];
    return { resources: [...own, ...this.catalog.resources] };
  }

  async listResourceTemplates() {
    await this.firstListWait();
    return { resourceTemplates: [...this.catalog.resourceTemplates] };
  }

  async readResource(params: ReadResourceRequestParams, context: RelayContext) {
    if (this.authTools && params.uri === AUTH_STATUS_URI) return this.authTools.readStatus();
    const route = await this.resourceRoute(params.uri);
    const result = await this.relay(route, { method: 'resources/read', params: { ...params, uri: route.upstreamName } }, context);
    // Contents name the URI the client asked for, not the upstream's own.
    const contents = Array.isArray(result.contents) ? result.contents.map((c: { uri?: string }) => (c.uri === route.upstreamName ? { ...c, uri: params.uri } : c)) : result.contents;
    return { ...result, contents };
  }

  /** Resource updates for `uri` reach the client from now on (MCP 2025-11-25 server/resources#subscriptions). */
  async subscribe(uri: string, context: RelayContext): Promise<void> {
    if (uri === AUTH_STATUS_URI) {
      this.authStatusWatched = true;
      return;
    }
    const route = await this.resourceRoute(uri);
    if (route.connection.state === 'connecting') await route.connection.settled(this.options.config.sessions.firstListWaitMs);
    await route.connection.subscribe(route.upstreamName, this, context.signal);
  }

  async unsubscribe(uri: string, context: RelayContext): Promise<void> {
    if (uri === AUTH_STATUS_URI) {
      this.authStatusWatched = false;
      return;
    }
    const route = await this.resourceRoute(uri);
    await route.connection.unsubscribe(route.upstreamName, this, context.signal);
  }

  async complete(params: CompleteRequestParams, context: RelayContext) {
    const ref = params.ref;
    const route = await this.settledRoute(() => (ref.type === 'ref/prompt' ? this.catalog.prompt(ref.name) : this.catalog.resource(ref.uri)));
    if (!route) {
      this.notOffered(ref.type === 'ref/prompt' ? 'prompt' : 'resource', ref.type === 'ref/prompt' ? ref.name : ref.uri);
      return { completion: { values: [] } };
    }
    const upstreamRef = ref.type === 'ref/prompt' ? { ...ref, name: route.upstreamName } : { ...ref, uri: route.upstreamName };
    return this.relay(route, { method: 'completion/complete', params: { ...params, ref: upstreamRef } }, context);
  }

  /** A client may use a name or URI it already knows before listing: connecting upstreams get the moment a first list gets. */
  private async settledRoute(lookup: () => Route | undefined): Promise<Route | undefined> {
    const route = lookup();
    if (route || (this.startedValue && !this.connections.some((c) => c.state === 'connecting'))) return route;
    await this.settleConnecting();
    return lookup();
  }

  private async resourceRoute(uri: string): Promise<Route> {
    const route = await this.settledRoute(() => this.catalog.resource(uri));
    if (!route) throw this.notOffered('resource', uri);
    return route;
  }

  async callTool(params: { name: string; arguments?: Record<string, unknown>; _meta?: Record<string, unknown> }, context: RelayContext): Promise<CallToolResult> {
    const own = this.authTools?.handles(params.name);
    if (own) return this.withAuthMeta(await own(params.arguments ?? {}, context.requestId));
    const route = await this.settledRoute(() => this.catalog.tool(params.name));
    if (!route) return this.withAuthMeta(this.unknownTool(params.name));
    try {
      const result = await this.relay(route, { method: 'tools/call', params: { ...params, name: route.upstreamName } }, context);
      return this.withAuthMeta(resultWithPublicUris(result as CallToolResult, route.connection.name, route.prefix));
    } catch (error) {
      if (error instanceof UpstreamUnavailableError || error instanceof UpstreamTimeoutError) return this.withAuthMeta(this.unavailable(error));
      // The tool asked for something this client cannot do (sampling, elicitation, roots): for a 2025 session the tool
      // failed, not the call. A 2026-07-28 request (it declares its capabilities) gets the -32021 error itself (MCP
      // 2026-07-28 basic/lifecycle: MissingRequiredClientCapabilityError).
      if (error instanceof UpstreamRequestError && error.code === ProtocolErrorCode.MissingRequiredClientCapability && !context.clientCapabilities) return this.withAuthMeta(toolError(error.message));
      throw error;
    }
  }

  /** Every tools/list and tools/call result carries this view's auth state (absent when nothing needs a sign-in). */
  private withAuthMeta<T extends object>(result: T): T {
    const pending = this.authTools?.authRequired();
    if (!pending?.length) return result;
    const meta = (result as { _meta?: Record<string, unknown> })._meta;
    return { ...result, _meta: { ...meta, [AuthTools.META_KEY]: pending } };
  }

  private unavailable(error: UpstreamUnavailableError | UpstreamTimeoutError): CallToolResult {
    if (error instanceof UpstreamUnavailableError && (error.state === 'auth_required' || error.state === 'reauth_required')) {
      if (this.authTools) return toolError(this.authTools.signInNeededMessage(error.server));
      if (this.options.noSignInMessage) return toolError(this.options.noSignInMessage(error.server));
    }
    return toolError(error.message);
  }

  /**
   * Names are routed only through the reverse map. For the error message alone, a name that looks like it belongs to a
   * server that is not connected says so: a tool of a server that is down is not "unknown", it is unavailable.
   */
  private unknownTool(name: string): CallToolResult {
    const owner = this.slots.find((s) => s.prefix && name.startsWith(`${s.name}_`) && s.connection.state !== 'connected');
    if (owner) {
      this.options.metrics.upstreamCalls.inc({ server: owner.connection.name, method: 'tools/call', outcome: 'unavailable' });
      return this.unavailable(new UpstreamUnavailableError(owner.connection.name, owner.connection.state, owner.connection.stateDetail));
    }
    // MCP 2025-11-25 server/tools#error-handling: unknown tools are a protocol error.
    throw this.notOffered('tool', name);
  }

  /** The answer to a name this view does not offer, the same whether or not a server it may not see has it. */
  private notOffered(kind: 'tool' | 'prompt' | 'resource', requested: string): NotOfferedError {
    this.options.scope?.notOffered(kind, requested);
    return new NotOfferedError(kind, requested);
  }

  /** Sends a request to the route's upstream on behalf of a client request: cancellation, progress and metrics follow it. */
  private async relay(route: Route, request: Request, context: RelayContext) {
    const server = route.connection.name;
    if (route.connection.state === 'connecting') await route.connection.settled(this.options.config.sessions.firstListWaitMs);
    const progressToken = request.params?._meta?.progressToken;
    const continuation = context.continuation;
    // The retry must be the request its state was minted for; answers meant for another call never reach this one.
    // (The digest is made only when a round needs it: most calls have none.)
    if (continuation && continuation.call !== roundCall(request, server)) throw new ForeignRequestStateError();
    const params = continuation ? { ...request.params, inputResponses: continuation.inputResponses, ...(continuation.upstreamState !== undefined && { requestState: continuation.upstreamState }) } : request.params;
    const started = performance.now();
    let outcome = 'ok';
    try {
      const result = await route.connection.request({ method: request.method, params }, {
        signal: context.signal,
        caller: this,
        downstreamRequestId: context.requestId,
        clientCapabilities: context.clientCapabilities,
        returnInputRequired: context.statelessRounds,
        onprogress: progressToken === undefined || !context.sendNotification ? undefined : (progress) => {
          void context.sendNotification?.({ method: 'notifications/progress', params: { ...progress, progressToken } }).catch(() => {});
        },
      });
      if (context.statelessRounds && isInputRequiredResult(result)) {
        outcome = 'input_required';
        throw new UpstreamInputRound(roundCall(request, server), (result.inputRequests ?? {}) as Record<string, Request>, result.requestState);
      }
      if (result.isError === true) outcome = 'tool_error';
      return withoutUpstreamServerInfo(result);
    } catch (error) {
      if (error instanceof UpstreamInputRound) throw error;
      outcome = error instanceof UpstreamTimeoutError ? 'timeout'
        : error instanceof UpstreamUnavailableError ? 'unavailable'
        : context.signal.aborted ? 'cancelled' : 'error';
      if (outcome === 'error') this.logger.debug({ server, method: request.method, error: String(error) }, 'upstream request failed');
      throw error;
    } finally {
      this.options.metrics.upstreamCalls.inc({ server, method: request.method, outcome });
      this.options.metrics.upstreamLatency.observe({ server, method: request.method }, (performance.now() - started) / 1000);
    }
  }
}

/**
 * MCP 2026-07-28: a result's `_meta["io.modelcontextprotocol/serverInfo"]` names the server that answered it. The
 * upstream's names the upstream; the client's answer comes from switchboard, whose SDK names itself.
 */
function withoutUpstreamServerInfo<T extends { _meta?: Record<string, unknown> }>(result: T): T {
  const meta = result._meta;
  if (!meta || !(SERVER_INFO_META_KEY in meta)) return result;
  const { [SERVER_INFO_META_KEY]: _upstream, ...rest } = meta;
  if (Object.keys(rest).length > 0) return { ...result, _meta: rest };
  const { _meta: _dropped, ...bare } = result;
  return bare as T;
}

function toolError(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}
