import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  RootsListChangedNotificationSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type CallToolResult,
  type ClientCapabilities,
  type LoggingLevel,
  type Implementation,
  type Notification,
  type Request,
  type RequestId,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { SignInState, type AuthManager } from '../auth/index.js';
import { publicUri, SessionCatalog, toolResultWithPublicUris, type CatalogSource, type Route } from '../catalog/index.js';
import { isRemote, type Config } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import { sessionPrincipal, type Principal } from '../principal/index.js';
import { UpstreamConnection, UpstreamTimeoutError, UpstreamUnavailableError, type CatalogPart, type DownstreamPeer } from '../upstream/index.js';
import { AuthTools, AUTH_STATUS_URI } from './auth-tools.js';

const PassThrough = z.looseObject({});

/** Server-to-client requests (sampling, elicitation) may wait on a person. */
const FORWARDED_REQUEST_TIMEOUT_MS = 10 * 60_000;

/**
 * What relaying a request needs from the client request it serves. The SDK's handler `extra` is one; a fast-path
 * call (src/http/fast-path.ts) has only a signal: nothing can travel on its response but the result.
 */
type RelayContext = Pick<RequestHandlerExtra<ServerRequest, ServerNotification>, 'signal'>
  & Partial<Pick<RequestHandlerExtra<ServerRequest, ServerNotification>, 'requestId' | 'sendNotification'>>;

export interface SessionOptions {
  id: string;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** Upstream OAuth; without it a 401 still shows as auth_required, but no sign-in can be offered. */
  auth?: AuthManager;
  /** Who the session's sign-ins belong to; the session itself unless given (the local user on stdio). */
  principal?: Principal;
}

/**
 * One downstream client session: its MCP server face, its own connection to every upstream (so server-to-client
 * requests, logs and credentials always belong to this session), and the merged catalog over them.
 */
export class Session implements DownstreamPeer {
  readonly id: string;
  readonly server: Server;
  private readonly catalog: SessionCatalog;
  private readonly connections: UpstreamConnection[] = [];
  private readonly sources: CatalogSource[] = [];
  private readonly logger: Logger;
  private readonly auth: SignInState | undefined;
  private readonly authTools: AuthTools | undefined;
  private readonly subscriptions = new Set<string>();
  private started = false;
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
  /** The client's logging level, applied to every upstream when it (re)connects. */
  private logLevel: LoggingLevel | undefined;

  constructor(private readonly options: SessionOptions) {
    this.id = options.id;
    this.logger = options.logger.child({ session: options.id });
    this.catalog = new SessionCatalog(options.config.naming.maxLength, this.logger);
    this.server = new Server(
      { name: 'switchboard', version: '0.1.0' },
      {
        capabilities: {
          tools: { listChanged: true },
          prompts: { listChanged: true },
          resources: { listChanged: true, subscribe: true },
          logging: {},
          completions: {},
        },
        instructions: 'switchboard: the tools, prompts and resources of several MCP servers, each prefixed with its server name.',
        // Several upstreams changing at once (reconnects, sign-ins) reach the client as one notification.
        debouncedNotificationMethods: ['notifications/tools/list_changed', 'notifications/prompts/list_changed', 'notifications/resources/list_changed'],
      },
    );
    if (options.auth) {
      this.auth = new SignInState(options.auth, options.principal ?? sessionPrincipal(options.id), this.logger);
      this.auth.onSignedIn(({ connect, elicitationId }) => void this.reconnect(connect).then(() => {
        if (elicitationId) void this.server.createElicitationCompletionNotifier(elicitationId)().catch(() => {});
      }));
      this.authTools = new AuthTools(this.auth, {
        server: this.server,
        servers: () => this.connections.map((c) => c.name),
        maxNameLength: options.config.naming.maxLength,
        state: (name) => this.connection(name)?.state,
        stateDetail: (name) => this.connection(name)?.stateDetail,
        reconnect: (servers) => this.reconnect(servers),
        signedOut: (servers) => servers.forEach((name) => this.connection(name)?.requireAuth('auth_required', 'signed out')),
      });
    }
    this.server.oninitialized = () => this.startUpstreams();
    this.registerHandlers();
  }

  /** Connects servers again and waits for the attempts; the client hears one list_changed for all of them. */
  private reconnect(servers: readonly string[]): Promise<void> {
    return this.batch(() => Promise.all(servers.map((name) => this.connection(name)?.reconnect())).then(() => {}));
  }

  private connection(name: string): UpstreamConnection | undefined {
    return this.connections.find((c) => c.name === name);
  }

  /**
   * Whether a client request may be answered without the SDK transport, as plain JSON (src/http/fast-path.ts): only
   * when nothing but the result can need the request's stream. Upstreams of a client without sampling, elicitation or
   * roots are never told those exist, so they send no requests during a call; logs then go on the client's GET stream.
   */
  get fastPathEligible(): boolean {
    const capabilities = this.clientCapabilities;
    return this.started && !this.closed && !capabilities.sampling && !capabilities.elicitation && !capabilities.roots;
  }

  /** The tools/list result as UTF-8 JSON, serialised and encoded once per catalog version: 5,000 tools are megabytes. */
  async toolsListJson(): Promise<Buffer> {
    await this.firstListWait();
    if (this.toolsListCache?.version !== this.catalogVersion) {
      this.toolsListCache = { version: this.catalogVersion, json: Buffer.from(JSON.stringify(this.withAuthMeta({ tools: this.catalog.tools }))) };
    }
    return this.toolsListCache.json;
  }

  get clientCapabilities(): ClientCapabilities {
    return this.server.getClientCapabilities() ?? {};
  }

  get clientInfo(): Implementation | undefined {
    return this.server.getClientVersion();
  }

  /** The state of each upstream for this session, in config order. */
  upstreamStates(): { name: string; state: UpstreamConnection['state'] }[] {
    return this.connections.map((c) => ({ name: c.name, state: c.state }));
  }

  /**
   * Ends the session. Its tokens are deleted when the session itself ended (the client's DELETE, idle expiry), and
   * kept when switchboard is only stopping, so a principal that outlives the process (stdio) keeps its sign-ins.
   */
  async close(options: { forgetTokens: boolean }): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.connections.map((c) => c.close()));
    await this.auth?.close(options);
    await this.server.close().catch(() => {});
    this.logger.debug('session closed');
  }

  // --- DownstreamPeer: what upstream connections send toward the client ---

  async forwardRequest(request: Request, options: { signal: AbortSignal; relatedRequestId?: RequestId }) {
    return this.server.request(request as ServerRequest, PassThrough, {
      signal: options.signal,
      relatedRequestId: options.relatedRequestId,
      timeout: FORWARDED_REQUEST_TIMEOUT_MS,
    });
  }

  async forwardNotification(notification: Notification, options: { server: string; relatedRequestId?: RequestId }): Promise<void> {
    if (this.closed) return;
    let forwarded = notification;
    if (notification.method === 'notifications/message') {
      const params = notification.params ?? {};
      forwarded = { ...notification, params: { ...params, logger: typeof params.logger === 'string' ? `${options.server}/${params.logger}` : options.server } };
    } else if (notification.method === 'notifications/resources/updated') {
      const prefix = this.sources.find((s) => s.connection.name === options.server)?.prefix ?? true;
      forwarded = { ...notification, params: { ...notification.params, uri: publicUri(options.server, String(notification.params?.uri ?? ''), prefix) } };
    }
    await this.server.notification(forwarded as ServerNotification, { relatedRequestId: options.relatedRequestId }).catch((error: unknown) => {
      this.logger.debug({ server: options.server, error: String(error) }, 'could not forward a notification');
    });
  }

  // --- upstream lifecycle ---

  private startUpstreams(): void {
    if (this.started || this.closed) return;
    this.started = true;
    for (const [name, serverConfig] of Object.entries(this.options.config.mcpServers)) {
      const connection = new UpstreamConnection({
        name,
        config: serverConfig,
        peer: this,
        logger: this.logger,
        onChange: (_connection, parts) => this.onUpstreamChange(parts),
        onConnected: (upstream) => this.applyLogLevel(upstream),
        credentials: this.auth && isRemote(serverConfig) ? this.auth.credentials(name) : undefined,
        backoff: { initialMs: this.options.config.reconnect.initialDelayMs, maxMs: this.options.config.reconnect.maxDelayMs },
      });
      this.connections.push(connection);
      this.sources.push({ connection, prefix: serverConfig.prefix });
    }
    this.server.setNotificationHandler(RootsListChangedNotificationSchema, async () => {
      await Promise.all(this.connectedUpstreams().map((c) => c.notifyRootsChanged()));
    });
    // All upstreams connect in parallel; none waits for another.
    for (const connection of this.connections) connection.start();
  }

  private async applyLogLevel(connection: UpstreamConnection): Promise<void> {
    if (this.logLevel && connection.serverCapabilities?.logging) {
      await connection.request({ method: 'logging/setLevel', params: { level: this.logLevel } }).catch(() => undefined);
    }
  }

  private onUpstreamChange(changed: ReadonlySet<CatalogPart>): void {
    if (this.closed) return;
    const ownTools = this.authTools?.tools() ?? [];
    const ownToolsKey = JSON.stringify(ownTools);
    const parts = new Set(changed);
    // A state change alone can still change switchboard's own tools (authenticate_<server> comes and goes).
    if (ownToolsKey !== this.ownToolsKey) parts.add('tools');
    this.ownToolsKey = ownToolsKey;
    this.catalog.rebuild(this.sources, ownTools);
    this.catalogVersion++;
    if (this.subscriptions.has(AUTH_STATUS_URI)) {
      void this.server.sendResourceUpdated({ uri: AUTH_STATUS_URI }).catch(() => {});
    }
    // Before its first listing the client has no list to refresh; that listing waits for connecting upstreams instead.
    if (!this.listWaitDone) return;
    for (const part of parts) this.pendingParts.add(part);
    if (this.batchDepth === 0) this.announceChanges();
  }

  private announceChanges(): void {
    const parts = this.pendingParts;
    if (parts.has('tools')) void this.server.sendToolListChanged().catch(() => {});
    if (parts.has('prompts')) void this.server.sendPromptListChanged().catch(() => {});
    if (parts.has('resources') || parts.has('resourceTemplates')) void this.server.sendResourceListChanged().catch(() => {});
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

  /** The first list of a session gives upstreams that are still connecting a moment, so a fresh client sees a full catalog. */
  private async firstListWait(): Promise<void> {
    if (this.listWaitDone) return;
    await this.settleConnecting();
    this.listWaitDone = true;
  }

  private async settleConnecting(): Promise<void> {
    this.startUpstreams();
    await Promise.all(this.connections.map((c) => c.settled(this.options.config.sessions.firstListWaitMs)));
  }

  private connectedUpstreams(): UpstreamConnection[] {
    return this.connections.filter((c) => c.state === 'connected');
  }

  // --- requests from the client ---

  private registerHandlers(): void {
    const server = this.server;
    server.setRequestHandler(ListToolsRequestSchema, async () => {
      await this.firstListWait();
      return this.withAuthMeta({ tools: [...this.catalog.tools] });
    });
    server.setRequestHandler(CallToolRequestSchema, (request, extra) => this.callTool(request.params, extra));

    server.setRequestHandler(ListPromptsRequestSchema, async () => {
      await this.firstListWait();
      return { prompts: [...this.catalog.prompts] };
    });
    server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
      const route = await this.settledRoute(() => this.catalog.prompt(request.params.name));
      if (!route) throw new McpError(ErrorCode.InvalidParams, `unknown prompt "${request.params.name}"`);
      return this.relay(route, { method: 'prompts/get', params: { ...request.params, name: route.upstreamName } }, extra);
    });

    server.setRequestHandler(ListResourcesRequestSchema, async () => {
      await this.firstListWait();
      const own = this.authTools ? [this.authTools.statusResource] : [];
      return { resources: [...own, ...this.catalog.resources] };
    });
    server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => {
      await this.firstListWait();
      return { resourceTemplates: [...this.catalog.resourceTemplates] };
    });
    server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
      if (this.authTools && request.params.uri === AUTH_STATUS_URI) return this.authTools.readStatus();
      const route = await this.resourceRoute(request.params.uri);
      const result = await this.relay(route, { method: 'resources/read', params: { ...request.params, uri: route.upstreamName } }, extra);
      // Contents name the URI the client asked for, not the upstream's own.
      const contents = Array.isArray(result.contents) ? result.contents.map((c: { uri?: string }) => (c.uri === route.upstreamName ? { ...c, uri: request.params.uri } : c)) : result.contents;
      return { ...result, contents } as never;
    });
    server.setRequestHandler(SubscribeRequestSchema, async (request, extra) => {
      if (request.params.uri === AUTH_STATUS_URI) {
        this.subscriptions.add(AUTH_STATUS_URI);
        return {};
      }
      const route = await this.resourceRoute(request.params.uri);
      return this.relay(route, { method: 'resources/subscribe', params: { ...request.params, uri: route.upstreamName } }, extra) as never;
    });
    server.setRequestHandler(UnsubscribeRequestSchema, async (request, extra) => {
      if (request.params.uri === AUTH_STATUS_URI) {
        this.subscriptions.delete(AUTH_STATUS_URI);
        return {};
      }
      const route = await this.resourceRoute(request.params.uri);
      return this.relay(route, { method: 'resources/unsubscribe', params: { ...request.params, uri: route.upstreamName } }, extra) as never;
    });

    server.setRequestHandler(CompleteRequestSchema, async (request, extra) => {
      const ref = request.params.ref;
      const route = await this.settledRoute(() => (ref.type === 'ref/prompt' ? this.catalog.prompt(ref.name) : this.catalog.resource(ref.uri)));
      if (!route) return { completion: { values: [] } };
      const upstreamRef = ref.type === 'ref/prompt' ? { ...ref, name: route.upstreamName } : { ...ref, uri: route.upstreamName };
      return this.relay(route, { method: 'completion/complete', params: { ...request.params, ref: upstreamRef } }, extra) as never;
    });

    server.setRequestHandler(SetLevelRequestSchema, async (request) => {
      this.logLevel = request.params.level;
      await Promise.all(this.connectedUpstreams().map((c) => this.applyLogLevel(c)));
      return {};
    });
  }

  /** A client may use a name or URI it already knows before listing: connecting upstreams get the moment a first list gets. */
  private async settledRoute(lookup: () => Route | undefined): Promise<Route | undefined> {
    const route = lookup();
    if (route || (this.started && !this.connections.some((c) => c.state === 'connecting'))) return route;
    await this.settleConnecting();
    return lookup();
  }

  private async resourceRoute(uri: string): Promise<Route> {
    const route = await this.settledRoute(() => this.catalog.resource(uri));
    if (!route) throw new McpError(ErrorCode.InvalidParams, `unknown resource "${uri}"`, { uri });
    return route;
  }

  async callTool(params: { name: string; arguments?: Record<string, unknown>; _meta?: Record<string, unknown> }, extra: RelayContext): Promise<CallToolResult> {
    const own = this.authTools?.handles(params.name);
    if (own) return this.withAuthMeta(await own(params.arguments ?? {}, extra.requestId));
    const route = await this.settledRoute(() => this.catalog.tool(params.name));
    if (!route) return this.withAuthMeta(this.unknownTool(params.name));
    try {
      return this.withAuthMeta(toolResultWithPublicUris((await this.relay(route, { method: 'tools/call', params: { ...params, name: route.upstreamName } }, extra)) as CallToolResult, route.connection.name, route.prefix));
    } catch (error) {
      if (error instanceof UpstreamUnavailableError || error instanceof UpstreamTimeoutError) return this.withAuthMeta(this.unavailable(error));
      throw error;
    }
  }

  /** Every tools/list and tools/call result carries this session's auth state (absent when nothing needs a sign-in). */
  private withAuthMeta<T extends object>(result: T): T {
    const pending = this.authTools?.authRequired();
    if (!pending?.length) return result;
    const meta = (result as { _meta?: Record<string, unknown> })._meta;
    return { ...result, _meta: { ...meta, [AuthTools.META_KEY]: pending } };
  }

  private unavailable(error: UpstreamUnavailableError | UpstreamTimeoutError): CallToolResult {
    if (error instanceof UpstreamUnavailableError && (error.state === 'auth_required' || error.state === 'reauth_required') && this.authTools) {
      return toolError(this.authTools.signInNeededMessage(error.server));
    }
    return toolError(error.message);
  }

  /**
   * Names are routed only through the reverse map. For the error message alone, a name that looks like it belongs to a
   * server that is not connected says so: a tool of a server that is down is not "unknown", it is unavailable.
   */
  private unknownTool(name: string): CallToolResult {
    const owner = this.sources.find((s) => s.prefix && name.startsWith(`${s.connection.name}_`) && s.connection.state !== 'connected');
    if (owner) {
      this.options.metrics.upstreamCalls.inc({ server: owner.connection.name, method: 'tools/call', outcome: 'unavailable' });
      return this.unavailable(new UpstreamUnavailableError(owner.connection.name, owner.connection.state, owner.connection.stateDetail));
    }
    // MCP 2025-11-25 server/tools#error-handling: unknown tools are a protocol error.
    throw new McpError(ErrorCode.InvalidParams, `unknown tool "${name}"`, { tool: name });
  }

  /** Sends a request to the route's upstream on behalf of a client request: cancellation, progress and metrics follow it. */
  private async relay(route: Route, request: Request, extra: RelayContext) {
    const server = route.connection.name;
    if (route.connection.state === 'connecting') await route.connection.settled(this.options.config.sessions.firstListWaitMs);
    const progressToken = request.params?._meta?.progressToken;
    const started = performance.now();
    let outcome = 'ok';
    try {
      const result = await route.connection.request(request, {
        signal: extra.signal,
        downstreamRequestId: extra.requestId,
        onprogress: progressToken === undefined || !extra.sendNotification ? undefined : (progress) => {
          void extra.sendNotification?.({ method: 'notifications/progress', params: { ...progress, progressToken } }).catch(() => {});
        },
      });
      if (result.isError === true) outcome = 'tool_error';
      return result;
    } catch (error) {
      outcome = error instanceof UpstreamTimeoutError ? 'timeout'
        : error instanceof UpstreamUnavailableError ? 'unavailable'
        : extra.signal.aborted ? 'cancelled' : 'error';
      if (outcome === 'error') this.logger.debug({ server, method: request.method, error: String(error) }, 'upstream request failed');
      throw error;
    } finally {
      this.options.metrics.upstreamCalls.inc({ server, method: request.method, outcome });
      this.options.metrics.upstreamLatency.observe({ server, method: request.method }, (performance.now() - started) / 1000);
    }
  }
}

function toolError(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}
