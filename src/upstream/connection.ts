import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  ErrorCode,
  LoggingMessageNotificationSchema,
  McpError,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
  type ClientCapabilities,
  type Notification,
  type Request,
  type RequestId,
  type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { ServerConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import { DirectCaller, DirectCallRefused } from './direct-call.js';
import { UpstreamTimeoutError, UpstreamUnavailableError } from './errors.js';
import type { AuthChallenge, UpstreamCredentials } from './fetch.js';
import { EMPTY_CATALOG, type CatalogPart, type UpstreamCatalog, type UpstreamState } from './state.js';
import { createTransport, shouldFallBackToSse, transportCandidates, type OpenedTransport, type TransportKind } from './transport.js';

/** Results are relayed as they are; validating them here would only cost time (the downstream client validates). */
const PassThrough = z.looseObject({});
export type PassThroughResult = z.infer<typeof PassThrough>;

const LIST_PAGE_LIMIT = 100;
const HEALTH_CHECK_TIMEOUT_MS = 5_000;

/** What an upstream connection needs from the downstream session it serves. */
export interface DownstreamPeer {
  /** Capabilities of the downstream client, declared upstream so servers only ask for what the client can do. */
  readonly clientCapabilities: ClientCapabilities;
  /** Sends a server-to-client request (sampling, elicitation, roots) to the downstream client. */
  forwardRequest(request: Request, options: { signal: AbortSignal; relatedRequestId?: RequestId }): Promise<PassThroughResult>;
  /** Sends a notification (logging, resource updates) from this server to the downstream client. */
  forwardNotification(notification: Notification, options: { server: string; relatedRequestId?: RequestId }): Promise<void>;
}

export interface UpstreamConnectionOptions {
  name: string;
  config: ServerConfig;
  peer: DownstreamPeer;
  logger: Logger;
  /** Called after the state or part of the catalog changed. */
  onChange: (connection: UpstreamConnection, parts: ReadonlySet<CatalogPart>) => void;
  /** Runs each time the connection comes up (e.g. to apply the client's logging level). */
  onConnected?: (connection: UpstreamConnection) => Promise<void>;
  /** Per-request credentials; when absent the server is reached with its static headers only. */
  credentials?: UpstreamCredentials;
  backoff: BackoffPolicy;
}

export interface CallOptions {
  signal?: AbortSignal;
  onprogress?: RequestOptions['onprogress'];
  /** The downstream request this call serves, so upstream requests and logs during it can be related to it. */
  downstreamRequestId?: RequestId;
}

const ALL_PARTS: ReadonlySet<CatalogPart> = new Set(['tools', 'prompts', 'resources', 'resourceTemplates']);

/**
 * One session's connection to one upstream server: connects, lists its catalog, follows its list_changed
 * notifications, relays requests, and reconnects with capped exponential backoff when it is down or breaks.
 */
export class UpstreamConnection {
  readonly name: string;
  private stateValue: UpstreamState = 'connecting';
  private detail: string | undefined;
  private catalogValue: UpstreamCatalog = EMPTY_CATALOG;
  private capabilities: ServerCapabilities | undefined;
  private client: Client | undefined;
  private opened: OpenedTransport | undefined;
  /** tools/call without the SDK's request path, on Streamable HTTP (src/upstream/direct-call.ts). */
  private direct: DirectCaller | undefined;
  private preferredKind: TransportKind | undefined;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private checkingHealth = false;
  private lastChallenge: AuthChallenge | undefined;
  private readonly inFlight = new Map<number, RequestId>();
  private nextCallId = 0;
  private settledWaiters: (() => void)[] = [];
  private readonly logger: Logger;

  constructor(private readonly options: UpstreamConnectionOptions) {
    this.name = options.name;
    this.logger = options.logger.child({ server: options.name });
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
  async reconnect(): Promise<void> {
    if (this.stateValue === 'closed') return;
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    await this.teardown();
    await this.connect();
  }

  /** Marks the server as wanting a sign-in, e.g. after a sign-out, and drops its catalog. */
  requireAuth(state: 'auth_required' | 'reauth_required', detail: string): void {
    if (this.stateValue === 'closed') return;
    clearTimeout(this.retryTimer);
    void this.teardown();
    this.setState(state, detail, EMPTY_CATALOG);
  }

  async request(request: Request, options: CallOptions = {}): Promise<PassThroughResult> {
    const client = this.client;
    if (this.stateValue !== 'connected' || !client) throw new UpstreamUnavailableError(this.name, this.stateValue, this.detail);
    const callId = this.nextCallId++;
    if (options.downstreamRequestId !== undefined) this.inFlight.set(callId, options.downstreamRequestId);
    try {
      const direct = this.direct;
      if (direct && request.method === 'tools/call' && options.onprogress === undefined) {
        try {
          return await direct.call(request, {
            timeoutMs: this.timeoutMs,
            signal: options.signal,
            cancel: (requestId, reason) => void client.notification({ method: 'notifications/cancelled', params: { requestId, reason } }).catch(() => {}),
          });
        } catch (error) {
          if (!(error instanceof DirectCallRefused)) throw error;
          // A redirect: the request was not processed. The SDK path follows redirects within the origin; it takes over.
          if (this.direct === direct) this.direct = undefined;
          this.logger.info({ status: error.message }, 'upstream redirects tool calls; using the SDK request path');
        }
      }
      return await client.request(request, PassThrough, {
        signal: options.signal,
        timeout: this.timeoutMs,
        onprogress: options.onprogress,
        // A call that keeps reporting progress is alive; MCP 2025-11-25 basic/lifecycle#timeouts allows resetting.
        resetTimeoutOnProgress: options.onprogress !== undefined,
      });
    } catch (error) {
      throw this.translateRequestError(error);
    } finally {
      this.inFlight.delete(callId);
    }
  }

  /** Tells the upstream the client's roots changed (MCP 2025-11-25 client/roots#root-list-changes). */
  async notifyRootsChanged(): Promise<void> {
    if (!this.options.peer.clientCapabilities.roots?.listChanged) return;
    await this.client?.sendRootsListChanged().catch(() => {});
  }

  async close(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.setState('closed', undefined, EMPTY_CATALOG);
    await this.teardown();
  }

  /** Read through a method: TypeScript would otherwise keep a narrowing across the awaits that can change it. */
  private isClosed(): boolean {
    return this.stateValue === 'closed';
  }

  private translateRequestError(error: unknown): unknown {
    if (error instanceof UpstreamTimeoutError || error instanceof UpstreamUnavailableError) return error;
    if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) return new UpstreamTimeoutError(this.name, this.timeoutMs);
    if (error instanceof McpError || (error instanceof Error && error.name === 'AbortError')) return error;
    if (this.lastChallenge) {
      if (this.stateValue === 'connected') this.lostToAuth();
      // Every call caught by the same refusal reports the sign-in state, not just the first one.
      if (this.stateValue === 'auth_required' || this.stateValue === 'reauth_required') {
        return new UpstreamUnavailableError(this.name, this.stateValue, this.detail);
      }
    }
    // Anything else (network error, HTTP 5xx, a 404 for a session the upstream forgot, closed transport): find out
    // whether the upstream is still there; a failed ping reconnects.
    void this.checkHealth();
    return new UpstreamUnavailableError(this.name, 'unreachable', describe(error));
  }

  private async connect(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.lastChallenge = undefined;
    if (this.stateValue !== 'connecting') this.setState('connecting', this.detail);
    const candidates = this.preferredKind ? [this.preferredKind] : transportCandidates(this.options.config);
    let lastError: unknown;
    for (const kind of candidates) {
      try {
        await this.connectWith(kind);
        this.preferredKind = kind;
        return;
      } catch (error) {
        lastError = error;
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
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  private async connectWith(kind: TransportKind): Promise<void> {
    const opened = createTransport(kind, {
      config: this.options.config,
      logger: this.logger,
      credentials: this.options.credentials,
      onAuthChallenge: (challenge) => {
        this.lastChallenge = challenge;
      },
    });
    const client = this.createClient();
    this.opened = opened;
    this.client = client;
    this.direct = opened.post && opened.transport instanceof StreamableHTTPClientTransport
      ? new DirectCaller({ server: this.name, transport: opened.transport, post: opened.post, logger: this.logger })
      : undefined;
    await client.connect(opened.transport, { timeout: this.timeoutMs });
    if (this.client !== client) throw new Error('connection superseded');
    this.capabilities = client.getServerCapabilities();
    const catalog = await this.listCatalog(client, ALL_PARTS, EMPTY_CATALOG);
    if (this.client !== client) throw new Error('connection superseded');
    this.attempt = 0;
    client.onclose = () => this.onTransportClosed(client);
    client.onerror = () => void this.checkHealth();
    this.logger.info({ transport: kind, tools: catalog.tools.length }, 'upstream connected');
    this.setState('connected', undefined, catalog);
    await this.options.onConnected?.(this);
  }

  private createClient(): Client {
    const peer = this.options.peer;
    const declared: ClientCapabilities = {};
    if (peer.clientCapabilities.sampling) declared.sampling = peer.clientCapabilities.sampling;
    if (peer.clientCapabilities.elicitation) declared.elicitation = peer.clientCapabilities.elicitation;
    if (peer.clientCapabilities.roots) declared.roots = peer.clientCapabilities.roots;
    const client = new Client({ name: 'switchboard', version: '0.1.0' }, { capabilities: declared });

    const forward = async (request: Request, extra: { signal: AbortSignal }) =>
      peer.forwardRequest(request, { signal: extra.signal, relatedRequestId: this.someInFlightRequest() });
    // Requests the downstream client supports are forwarded; anything else gets a clear error
    // instead of the SDK's bare "method not found".
    client.fallbackRequestHandler = async (request, extra) => {
      const capability = request.method.split('/')[0];
      if (capability === 'sampling' || capability === 'elicitation' || capability === 'roots') {
        if (!(capability in declared)) {
          throw new McpError(ErrorCode.MethodNotFound, `the client of this switchboard session does not support ${capability} (${request.method})`);
        }
        return forward(request, extra);
      }
      throw new McpError(ErrorCode.MethodNotFound, `switchboard does not relay ${request.method}`);
    };

    const refresh = (parts: CatalogPart[]) => () => void this.refreshCatalog(client, new Set(parts));
    client.setNotificationHandler(ToolListChangedNotificationSchema, refresh(['tools']));
    client.setNotificationHandler(PromptListChangedNotificationSchema, refresh(['prompts']));
    client.setNotificationHandler(ResourceListChangedNotificationSchema, refresh(['resources', 'resourceTemplates']));
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) =>
      peer.forwardNotification(notification, { server: this.name, relatedRequestId: this.someInFlightRequest() }));
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => peer.forwardNotification(notification, { server: this.name }));
    return client;
  }

  /** Upstream requests and logs carry no link to the call that caused them; any call in flight on this connection is of the same session. */
  private someInFlightRequest(): RequestId | undefined {
    for (const id of this.inFlight.values()) return id;
    return undefined;
  }

  private async refreshCatalog(client: Client, parts: ReadonlySet<CatalogPart>): Promise<void> {
    try {
      const catalog = await this.listCatalog(client, parts, this.catalogValue);
      if (this.client !== client || this.stateValue !== 'connected') return;
      this.catalogValue = catalog;
      this.options.onChange(this, parts);
    } catch (error) {
      this.logger.warn({ error: describe(error) }, 'could not refresh the upstream catalog');
    }
  }

  private async listCatalog(client: Client, parts: ReadonlySet<CatalogPart>, previous: UpstreamCatalog): Promise<UpstreamCatalog> {
    const caps = client.getServerCapabilities() ?? {};
    const list = async <K extends CatalogPart>(part: K, method: string, enabled: unknown): Promise<UpstreamCatalog[K]> => {
      if (!parts.has(part)) return previous[part];
      if (!enabled) return [] as UpstreamCatalog[K];
      return (await this.listAll(client, method, part)) as UpstreamCatalog[K];
    };
    const [tools, prompts, resources, resourceTemplates] = await Promise.all([
      list('tools', 'tools/list', caps.tools),
      list('prompts', 'prompts/list', caps.prompts),
      list('resources', 'resources/list', caps.resources),
      list('resourceTemplates', 'resources/templates/list', caps.resources),
    ]);
    const valid = {
      tools: tools.filter(isTool),
      prompts: prompts.filter(hasName),
      resources: resources.filter(hasUri),
      resourceTemplates: resourceTemplates.filter(hasUriTemplate),
    };
    const dropped = tools.length - valid.tools.length + prompts.length - valid.prompts.length
      + resources.length - valid.resources.length + resourceTemplates.length - valid.resourceTemplates.length;
    if (dropped > 0) this.logger.warn({ dropped }, 'upstream listed malformed tools, prompts or resources; they are left out');
    return valid;
  }

  /** Follows pagination cursors (MCP 2025-11-25 utilities/pagination), bounded against a server that never ends. */
  private async listAll(client: Client, method: string, key: CatalogPart): Promise<unknown[]> {
    const items: unknown[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < LIST_PAGE_LIMIT; page++) {
      const result = await client.request({ method, params: cursor ? { cursor } : {} }, PassThrough, { timeout: this.timeoutMs });
      const pageItems = result[key];
      if (Array.isArray(pageItems)) items.push(...pageItems);
      cursor = typeof result.nextCursor === 'string' && result.nextCursor ? result.nextCursor : undefined;
      if (!cursor) return items;
    }
    this.logger.warn({ method, pages: LIST_PAGE_LIMIT }, 'upstream list was cut off after too many pages');
    return items;
  }

  private onTransportClosed(client: Client): void {
    if (this.client !== client || this.stateValue !== 'connected') return;
    this.connectionLost('the connection closed');
  }

  /** The transport reported an error; a ping tells a passing hiccup from a dead upstream. */
  private async checkHealth(): Promise<void> {
    const client = this.client;
    if (!client || this.stateValue !== 'connected' || this.checkingHealth) return;
    this.checkingHealth = true;
    try {
      await client.ping({ timeout: HEALTH_CHECK_TIMEOUT_MS });
    } catch (error) {
      if (this.client === client && this.stateValue === 'connected') {
        if (this.lastChallenge) this.lostToAuth();
        else this.connectionLost(describe(error));
      }
    } finally {
      this.checkingHealth = false;
    }
  }

  private connectionLost(reason: string): void {
    this.logger.warn({ reason }, 'upstream connection lost; reconnecting');
    this.setState('unreachable', reason, EMPTY_CATALOG);
    void this.teardown().then(() => {
      const delay = backoffDelay(this.attempt++, this.options.backoff);
      this.retryTimer = setTimeout(() => void this.connect(), delay);
      this.retryTimer.unref();
    });
  }

  private lostToAuth(): void {
    const challenge = this.lastChallenge;
    this.logger.info({ status: challenge?.status }, 'upstream wants a sign-in');
    void this.teardown();
    const state = this.options.credentials?.authState() ?? 'auth_required';
    this.setState(state, challenge?.status === 403 ? 'the server wants a wider scope' : 'the server wants a sign-in', EMPTY_CATALOG);
  }

  private async teardown(): Promise<void> {
    const client = this.client;
    const opened = this.opened;
    const direct = this.direct;
    this.client = undefined;
    this.opened = undefined;
    this.direct = undefined;
    direct?.abortAll();
    this.capabilities = undefined;
    if (!client) return;
    client.onclose = undefined;
    client.onerror = undefined;
    opened?.abortAll();
    await client.close().catch(() => {});
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
    if (stateChanged || parts.size > 0) this.options.onChange(this, parts);
  }
}

function listDiffers(before: readonly unknown[], after: readonly unknown[]): boolean {
  return before !== after && (before.length > 0 || after.length > 0);
}

/** MCP 2025-11-25 server/tools: a tool has a name and an inputSchema that is a JSON Schema object of type "object". */
function isTool(item: unknown): boolean {
  const schema = (item as { inputSchema?: { type?: unknown } }).inputSchema;
  return hasName(item) && typeof schema === 'object' && schema !== null && schema.type === 'object';
}

function hasName(item: unknown): boolean {
  return typeof (item as { name?: unknown }).name === 'string' && (item as { name: string }).name.length > 0;
}
function hasUri(item: unknown): boolean {
  return typeof (item as { uri?: unknown }).uri === 'string';
}
function hasUriTemplate(item: unknown): boolean {
  return typeof (item as { uriTemplate?: unknown }).uriTemplate === 'string';
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

function isNetworkError(error: unknown): boolean {
  if (error instanceof McpError) return error.code === ErrorCode.RequestTimeout || error.code === ErrorCode.ConnectionClosed;
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
