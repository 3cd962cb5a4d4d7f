import type { Server, ClientCapabilities, Implementation, Notification, Request, RequestId, ServerNotification } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { AuthManager } from '../auth/index.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import type { ConnectionPool, HealthMonitor } from '../upstream/index.js';
import type { ServerScope } from '../visibility/index.js';
import type { UrlElicitation } from './auth-tools.js';
import { createServerFace, directRelay, type RequestRunner } from './handlers.js';
import { sessionPrincipal, type Principal } from '../principal/index.js';
import { PrincipalView, type DownstreamFace, type RelayContext } from './view.js';

const PassThrough = z.looseObject({});

/** Server-to-client requests (sampling, elicitation) may wait on a person. */
const FORWARDED_REQUEST_TIMEOUT_MS = 10 * 60_000;

/** A legacy session pushes everything over its live connection; its requests never need input rounds. */
const PUSHING: RequestRunner = { relayed: (ctx, _request, work) => work(directRelay(ctx)) };

export interface SessionOptions {
  id: string;
  /** Whose connections and tokens these are: the session itself by default. */
  principal?: Principal;
  config: Config;
  pool: ConnectionPool;
  logger: Logger;
  metrics: Metrics;
  auth?: AuthManager;
  /** The servers the session offers (its owner's visibility); default all. */
  scope?: ServerScope;
  health?: HealthMonitor;
}

/**
 * One legacy (2025-11-25) downstream session: an MCP server face with `initialize`, the session's principal view
 * (its leases on the upstream connections) and the push channel back to the client over the session's transport.
 */
export class Session implements DownstreamFace {
  readonly id: string;
  readonly server: Server;
  readonly view: PrincipalView;
  private closed = false;

  constructor(options: SessionOptions) {
    this.id = options.id;
    const logger = options.logger.child({ session: options.id });
    this.view = new PrincipalView({ ...options, principal: options.principal ?? sessionPrincipal(options.id), logger });
    this.view.attach(this);
    this.server = createServerFace(this.view, PUSHING, {
      // Several upstreams changing at once (reconnects, sign-ins) reach the client as one notification.
      debouncedNotificationMethods: ['notifications/tools/list_changed', 'notifications/prompts/list_changed', 'notifications/resources/list_changed'],
    });
    this.server.setRequestHandler('resources/subscribe', async (request, ctx) => {
      await this.view.subscribe(request.params.uri, directRelay(ctx));
      return {};
    });
    this.server.setRequestHandler('resources/unsubscribe', async (request, ctx) => {
      await this.view.unsubscribe(request.params.uri, directRelay(ctx));
      return {};
    });
    this.server.setRequestHandler('logging/setLevel', async (request) => {
      await this.view.setLogLevel(request.params.level);
      return {};
    });
    this.server.setNotificationHandler('notifications/roots/list_changed', () => this.view.rootsChanged());
    // A session's connections start when its client sends `initialized` (MCP 2025-11-25 basic/lifecycle#initialization).
    this.server.oninitialized = () => this.view.start();
  }

  /**
   * Whether a client request may be answered without the SDK transport, as plain JSON (src/http/fast-path.ts): only
   * when nothing but the result can need the request's stream. Upstreams of a client without sampling, elicitation or
   * roots are never told those exist, so they send no requests during a call; logs then go on the client's GET stream.
   */
  get fastPathEligible(): boolean {
    const capabilities = this.clientCapabilities;
    return this.view.started && !this.closed && !capabilities.sampling && !capabilities.elicitation && !capabilities.roots;
  }

  get clientCapabilities(): ClientCapabilities {
    return this.server.getClientCapabilities() ?? {};
  }

  get clientInfo(): Implementation | undefined {
    return this.server.getClientVersion();
  }

  toolsListJson(): Promise<Buffer> {
    return this.view.toolsListJson();
  }

  callTool(params: Parameters<PrincipalView['callTool']>[0], context: RelayContext) {
    return this.view.callTool(params, context);
  }

  async close(options: { forgetTokens: boolean }): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.view.close(options);
    await this.server.close().catch(() => {});
  }

  // --- DownstreamFace: everything goes over the session's own connection ---

  forwardRequest(request: Request, options: { signal: AbortSignal; relatedRequestId?: RequestId }) {
    return this.server.request(request, PassThrough, { signal: options.signal, relatedRequestId: options.relatedRequestId, timeout: FORWARDED_REQUEST_TIMEOUT_MS });
  }

  async sendNotification(notification: Notification, relatedRequestId?: RequestId): Promise<void> {
    if (this.closed) return;
    await this.server.notification(notification as ServerNotification, { relatedRequestId });
  }

  listChanged(part: 'tools' | 'prompts' | 'resources'): void {
    const sent = part === 'tools' ? this.server.sendToolListChanged() : part === 'prompts' ? this.server.sendPromptListChanged() : this.server.sendResourceListChanged();
    void sent.catch(() => {});
  }

  resourceUpdated(uri: string): void {
    void this.server.sendResourceUpdated({ uri }).catch(() => {});
  }

  elicitUrl(elicitation: UrlElicitation, relatedRequestId: RequestId | undefined): boolean {
    if (!this.clientCapabilities.elicitation?.url) return false;
    void this.server.elicitInput({ mode: 'url', ...elicitation }, { relatedRequestId }).catch(() => {});
    return true;
  }

  completeElicitation(elicitationId: string): void {
    void this.server.createElicitationCompletionNotifier(elicitationId)().catch(() => {});
  }
}
