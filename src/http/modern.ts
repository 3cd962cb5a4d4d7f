import type { Request, Response } from 'express';
import { toNodeHandler, type NodeMcpRequestHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, ProtocolErrorCode, SERVER_INFO_META_KEY, type McpHttpHandler } from '@modelcontextprotocol/server';
import { NO_AUDIT, type AuditRecorder } from '../audit/index.js';
import type { AuthManager } from '../auth/index.js';
import type { Config, ServerChange } from '../config/index.js';
import type { Caller } from '../front-door/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import type { HeldRound, HeldRoundAnswer } from '../store/index.js';
import { paramHeaderMismatch, scanParamHeaders, type ConnectionPool, type HealthMonitor } from '../upstream/index.js';
import { localUser, principalKey, type Principal } from '../principal/index.js';
import { CallEndedError, ModernFace, PrincipalView, SERVER_INFO, type ModernFaceOptions } from '../session/index.js';
import type { ServerScope } from '../visibility/index.js';
import { directModernCall, type DirectModernCall } from './modern-fast-path.js';
import { isLoopbackHost } from './origin.js';
import { scopeFor, teamsKey } from './scope.js';

/** MCP 2026-07-28 basic/transports: the JSON-RPC error of a request whose headers and body disagree. */
const HEADER_MISMATCH = -32020;

/**
 * Who a 2026-07-28 request speaks for when switchboard has no front door. Such a request has no session to own its
 * tokens (SEP-2567: state hangs on the caller's identity, never a connection). On a loopback bind only the local user
 * can reach switchboard; on any other bind the caller is unknown.
 */
export function modernPrincipal(host: string, username: string): Principal | undefined {
  return isLoopbackHost(host) ? localUser(username) : undefined;
}

export interface ModernEndpointOptions {
  /** Whom requests the front door did not name belong to; absent on a non-loopback bind without a front door. */
  principal: Principal | undefined;
  config: Config;
  pool: ConnectionPool;
  logger: Logger;
  metrics: Metrics;
  auth?: AuthManager;
  audit?: AuditRecorder;
  health?: HealthMonitor;
  /** How request states are sealed, this replica's name in them, and where held calls' rounds go (session/modern.ts). */
  rounds: ModernFaceOptions;
}

/**
 * One principal's share of the modern endpoint: its view (upstream connections, catalog, sign-in state), the face
 * over it, and an SDK handler of its own, whose listen streams hear only this principal's changes.
 */
class PrincipalEndpoint {
  readonly face: ModernFace;
  readonly view: PrincipalView;
  private readonly handler: McpHttpHandler;
  private readonly node: NodeMcpRequestHandler;
  /** Requests in flight, listen streams included; an endpoint is released only at zero. */
  active = 0;
  lastActivity = Date.now();

  constructor(principal: Principal | undefined, scope: ServerScope, options: ModernEndpointOptions) {
    const view = this.view = new PrincipalView({
      ...options,
      principal,
      scope,
      logger: options.logger.child({ principal: principal?.kind ?? 'nobody' }),
      noSignInMessage: (server) => `The server "${server}" needs a sign-in, and this request has no principal to keep the tokens for: `
        + 'switchboard listens on a non-loopback address and has no front door (its own sign-in) configured. '
        + 'Sign-ins work for 2025-11-25 sessions, or for 2026-07-28 requests when switchboard is bound to loopback or has inboundAuth.',
    });
    this.handler = createMcpHandler(() => this.face.createServer(), {
      legacy: 'reject',
      maxRequestBodySize: options.config.http.bodyLimitBytes,
      onerror: (error) => options.logger.debug({ error: error.message }, 'modern request rejected'),
    });
    this.face = new ModernFace(view, options.rounds, this.handler.notify);
    this.node = toNodeHandler(this.handler, { onerror: (error) => options.logger.warn({ error: error.message }, 'modern request failed') });
  }

  async handle(req: Request, res: Response): Promise<void> {
    this.active++;
    res.once('close', () => {
      this.active--;
      this.lastActivity = Date.now();
    });
    // 2026-07-28 subscriptions/listen: `params.notifications` is the filter, `resourceSubscriptions` the URIs to watch.
    const body = req.body as { method?: unknown; params?: { notifications?: { resourceSubscriptions?: unknown } } } | undefined;
    const uris = body?.method === 'subscriptions/listen' ? body.params?.notifications?.resourceSubscriptions : undefined;
    if (Array.isArray(uris) && uris.every((uri) => typeof uri === 'string')) res.once('close', this.face.watchResources(uris));
    if (this.refusedParamHeaders(req, res)) return;
    const direct = directModernCall(req);
    if (direct && this.view.routesTool(direct.params.name)) return this.answerDirectly(direct, res);
    await this.node(req, res, req.body);
  }

  /**
   * One JSON object as the whole answer, as the SDK's handler would write it: the result with `resultType` and
   * switchboard's serverInfo, or the JSON-RPC error of a handler (in-band: HTTP 200, or 400 for a capability the
   * client lacks; the SDK's httpStatusForErrorCode). The client cancels by closing the request (2026-07-28).
   */
  private async answerDirectly(call: DirectModernCall, res: Response): Promise<void> {
    const controller = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const id = JSON.stringify(call.id);
    let status = 200;
    let member: string;
    try {
      const result = await this.face.callDirect(call.params, {}, controller.signal);
      if (controller.signal.aborted) return;
      member = `"result":${JSON.stringify({ ...result, resultType: 'complete', _meta: { ...result._meta, [SERVER_INFO_META_KEY]: SERVER_INFO } })}`;
    } catch (error) {
      if (controller.signal.aborted) return;
      const code = (error as { code?: unknown }).code;
      const known = error instanceof Error && Number.isSafeInteger(code);
      const data = known ? (error as { data?: unknown }).data : undefined;
      if (code === ProtocolErrorCode.MissingRequiredClientCapability) status = 400;
      member = `"error":${JSON.stringify({ code: known ? code : ProtocolErrorCode.InternalError, message: known ? error.message : 'Internal error', ...(data !== undefined && { data }) })}`;
    }
    const body = `{"jsonrpc":"2.0","id":${id},${member}}`;
    // With its length known the answer leaves in one write, not as chunks.
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  /**
   * SEP-2243: a server that reads the body MUST check each `Mcp-Param-*` header of a tools/call against the argument
   * it mirrors, and refuse a mismatch, a missing header or an undecodable one with 400 and HeaderMismatch (-32020)
   * (MCP 2026-07-28 basic/transports#server-behavior-for-custom-headers). The SDK does it only for McpServer tools;
   * switchboard's are its upstreams', checked here against the schema it lists.
   */
  private refusedParamHeaders(req: Request, res: Response): boolean {
    const body = req.body as { id?: unknown; method?: unknown; params?: { name?: unknown; arguments?: unknown } } | undefined;
    if (body?.method !== 'tools/call' || typeof body.params?.name !== 'string') return false;
    const scan = scanParamHeaders(this.view.toolDefinition(body.params.name)?.inputSchema);
    if (!scan.ok || scan.headers.length === 0) return false;
    const args = typeof body.params.arguments === 'object' && body.params.arguments !== null ? body.params.arguments as Record<string, unknown> : undefined;
    const mismatch = paramHeaderMismatch(scan.headers, args, (name) => req.header(name));
    if (mismatch === undefined) return false;
    const id = typeof body.id === 'string' || typeof body.id === 'number' ? body.id : null;
    res.status(400).json({ jsonrpc: '2.0', id, error: { code: HEADER_MISMATCH, message: `Bad Request: ${mismatch}` } });
    return true;
  }

  async close(): Promise<void> {
    await this.handler.close();
    await this.face.close();
  }
}

/**
 * The modern (2026-07-28) leg of /mcp: the SDK's per-request handler over a principal's view, with no handshake and
 * no session (`server/discover`, `subscriptions/listen` and input-required results come from the SDK). 2025-era
 * requests never reach it: app.ts routes them to the sessionful transport first. Behind the front door every user
 * gets their own view, created by their first request and released when idle for `sessions.idleTimeoutMs` (their
 * tokens stay in the store; a later request connects again with them).
 */
export class ModernEndpoint {
  private readonly endpoints = new Map<string, PrincipalEndpoint>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly stopServingHeldCalls: (() => void) | undefined;

  constructor(private readonly options: ModernEndpointOptions) {
    const idle = options.config.sessions.idleTimeoutMs;
    this.sweeper = setInterval(() => void this.releaseIdle(), Math.max(250, Math.min(idle / 4, 60_000)));
    this.sweeper.unref();
    const { heldCalls, replica } = options.rounds;
    this.stopServingHeldCalls = heldCalls?.serve(replica, (round, serving) => this.answerHeld(round, serving));
  }

  /** A round another replica received for a call held here: the face of the caller's principal that holds it answers. */
  private answerHeld(round: HeldRound, serving: Parameters<ModernFace['answerHeld']>[1]): Promise<HeldRoundAnswer> {
    for (const endpoint of this.endpoints.values()) {
      if (endpoint.face.holds(round.exchange, round.principal)) return endpoint.face.answerHeld(round, serving);
    }
    // Restarted with the same replica id, or the call expired: it is no longer here.
    const ended = new CallEndedError('lost');
    return Promise.resolve({ error: { code: ended.code, message: ended.message } });
  }

  /**
   * `caller`: the user the front door let in; without one, the endpoint's own principal. A user whose token lists
   * other teams than before gets a view of the servers those teams see (the earlier one is released when idle).
   */
  handle(req: Request, res: Response, caller?: Caller): Promise<void> {
    const principal = caller?.principal ?? this.options.principal;
    const key = `${principal ? principalKey(principal) : ''}\u0001${teamsKey(caller)}`;
    let endpoint = this.endpoints.get(key);
    if (!endpoint) {
      endpoint = new PrincipalEndpoint(principal, scopeFor(this.options.config, this.options.audit ?? NO_AUDIT, caller, principal), this.options);
      this.endpoints.set(key, endpoint);
    }
    return endpoint.handle(req, res);
  }

  /** The configured servers changed: every principal's view follows. */
  serversChanged(change: ServerChange): void {
    for (const endpoint of this.endpoints.values()) endpoint.view.serversChanged(change);
  }

  /** How many principals have a view open (for tests and metrics). */
  get size(): number {
    return this.endpoints.size;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.stopServingHeldCalls?.();
    const endpoints = [...this.endpoints.values()];
    this.endpoints.clear();
    await Promise.all(endpoints.map((e) => e.close()));
  }

  private async releaseIdle(): Promise<void> {
    const cutoff = Date.now() - this.options.config.sessions.idleTimeoutMs;
    for (const [key, endpoint] of this.endpoints) {
      if (endpoint.active > 0 || endpoint.lastActivity >= cutoff || endpoint.face.busy) continue;
      this.endpoints.delete(key);
      this.options.logger.debug({ principal: key.startsWith('\u0001') ? 'nobody' : key.split(':')[0] }, 'idle modern view released');
      await endpoint.close().catch(() => {});
    }
  }
}
