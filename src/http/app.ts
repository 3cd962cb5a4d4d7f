import express, { type NextFunction, type Request, type Response } from 'express';
import { hostHeaderValidation } from '@modelcontextprotocol/node';
import { classifyInboundRequest, isInitializeRequest } from '@modelcontextprotocol/server';
import type { IdentityAssertions } from '../auth/index.js';
import type { Config } from '../config/index.js';
import { callerOf, type FrontDoor } from '../front-door/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import type { ServerHealth } from '../upstream/index.js';
import { envelopeValidation } from './envelope.js';
import { fastPath } from './fast-path.js';
import type { ModernEndpoint } from './modern.js';
import { isLoopbackHost, originValidation } from './origin.js';
import type { SessionRegistry } from './sessions.js';
import { statusPage } from './status-page.js';

export interface Readiness {
  ready: boolean;
  [key: string]: unknown;
}

export interface HttpAppOptions {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  sessions: SessionRegistry;
  /** 2026-07-28 requests: no session, state owned by the bind's principal. */
  modern: ModernEndpoint;
  readiness: () => Promise<Readiness>;
  /** The upstream connections of the process, by server and state (for /metrics). */
  upstreamConnections: () => Iterable<{ server: string; state: string }>;
  /** Each server's health (for /metrics). */
  health: () => { [server: string]: ServerHealth };
  /** The runtime server API (src/http/admin.ts). */
  admin?: express.Router;
  /** Routes mounted before /mcp (e.g. the OAuth callback). */
  routes?: express.Router;
  /** switchboard's own front door: when set, every /mcp request needs its bearer token (src/front-door). */
  frontDoor?: FrontDoor;
  /** Cross-app access: the front door's verified tokens become the users' identity assertions (src/auth). */
  identityAssertions?: IdentityAssertions;
}

/**
 * Whether the SDK's modern handler would serve this POST as a 2025-era request. `classifyInboundRequest` is the step
 * behind the SDK's own `isLegacyRequest` and `createMcpHandler` routing, so this branch never disagrees with the
 * modern handler; calling it on the headers and the parsed body spares building a web `Request` per POST (headers,
 * URL, an AbortSignal) only to read three headers from it.
 */
function isLegacyPost(req: Request): boolean {
  if (req.body === undefined) return true;
  const outcome = classifyInboundRequest({
    httpMethod: 'POST',
    protocolVersionHeader: req.header('mcp-protocol-version'),
    mcpMethodHeader: req.header('mcp-method'),
    mcpNameHeader: req.header('mcp-name'),
    body: req.body,
  });
  return outcome.kind === 'legacy';
}

function jsonRpcError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/** Health gauges, labelled by server name only (never a URL: a query-parameter key would end up in a label). */
function recordHealth(metrics: Metrics, report: { [server: string]: ServerHealth }): void {
  metrics.upstreamHealthy.reset();
  metrics.upstreamHealthLatency.reset();
  metrics.upstreamHealthCheckedAt.reset();
  for (const [server, health] of Object.entries(report)) {
    metrics.upstreamHealthy.set({ server }, health.healthy ? 1 : 0);
    if (health.latencyMs !== undefined) metrics.upstreamHealthLatency.set({ server }, health.latencyMs / 1000);
    if (health.lastCheckedAt !== undefined) metrics.upstreamHealthCheckedAt.set({ server }, Date.parse(health.lastCheckedAt) / 1000);
  }
}

export function createHttpApp(options: HttpAppOptions): express.Express {
  const { config, sessions } = options;
  const app = express();
  app.disable('x-powered-by');

  // DNS rebinding: on a loopback bind only loopback Host names (and the public URL's) are accepted.
  const loopback = isLoopbackHost(config.http.host);
  if (loopback) {
    const hosts = ['localhost', '127.0.0.1', '[::1]'];
    if (config.publicUrl) hosts.push(new URL(config.publicUrl).hostname);
    const hostAllowed = hostHeaderValidation(hosts);
    app.use((req, res, next) => {
      if (hostAllowed(req, res)) next();
    });
  }

  const allowedOrigins = [...config.http.allowedOrigins, ...(config.publicUrl ? [new URL(config.publicUrl).origin] : [])];
  const mcp = express.Router();
  mcp.use(originValidation(allowedOrigins, { sameOriginFromHost: loopback, cors: true }));
  // The front door checks every request (initialize, modern requests, GET, DELETE) before its body is even read.
  if (options.frontDoor) mcp.use(options.frontDoor.gate());
  const assertions = options.identityAssertions;
  if (options.frontDoor && assertions?.wanted) {
    mcp.use((_req, res, next) => {
      const caller = callerOf(res);
      if (caller) assertions.remember(caller.principal, caller.presented, caller.token.expiresAt);
      next();
    });
  }
  // strict: false lets any JSON value through, so that JSON which is not a message gets -32600 (envelope.ts), not -32700.
  mcp.use(express.json({ limit: config.http.bodyLimitBytes, type: ['application/json', 'application/*+json'], strict: false }));

  const principalOf = (res: Response) => callerOf(res)?.principal;
  mcp.post('/', envelopeValidation({ sessionOpen: (id, res) => sessions.find(id, principalOf(res)) !== undefined }), fastPath(sessions, options.logger), async (req, res) => {
    const id = req.header('mcp-session-id');
    if (id) {
      // A session of another user is not found either: 404, as if unknown.
      const transport = sessions.touch(id, principalOf(res));
      // MCP 2025-11-25 basic/transports#session-management: an unknown or expired session id gets 404.
      if (!transport) return jsonRpcError(res, 404, -32001, 'Session not found');
      return transport.handleRequest(req, res, req.body);
    }
    // 2026-07-28 basic/transports: no session id, and every request carries its protocol version in `_meta`. The SDK's
    // own classification decides, so this branch never disagrees with its modern handler.
    if (!isLegacyPost(req)) return options.modern.handle(req, res, callerOf(res));
    if (!isInitializeRequest(req.body) && !(Array.isArray(req.body) && req.body.some(isInitializeRequest))) {
      return jsonRpcError(res, 400, -32000, 'Bad Request: no Mcp-Session-Id header, and the request is not an initialize request');
    }
    await sessions.initialize((transport) => transport.handleRequest(req, res, req.body), callerOf(res));
  });
  const existing = async (req: Request, res: Response) => {
    const id = req.header('mcp-session-id');
    if (!id) return jsonRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    const transport = sessions.touch(id, principalOf(res));
    if (!transport) return jsonRpcError(res, 404, -32001, 'Session not found');
    await transport.handleRequest(req, res);
  };
  mcp.get('/', existing);
  mcp.delete('/', existing);
  // First after the Host check: every MCP request would otherwise walk the routes below (about 5% of a relayed call's
  // CPU, measured by `npm run bench -- --only modern --profile`). None of them serves a path under /mcp.
  app.use('/mcp', mcp);

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', async (_req, res) => {
    const readiness = await options.readiness();
    res.status(readiness.ready ? 200 : 503).json(readiness);
  });
  app.get('/metrics', async (_req, res) => {
    options.metrics.upstreamStates.reset();
    for (const { server, state } of options.upstreamConnections()) options.metrics.upstreamStates.inc({ server, state });
    recordHealth(options.metrics, options.health());
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });
  if (options.routes) app.use(options.routes);
  if (options.frontDoor) app.use(options.frontDoor.routes());
  app.use(statusPage({ health: options.health, frontDoor: options.frontDoor }));
  // A web page must not drive the admin API with the browser's reach (a loopback bind without a front door).
  if (options.admin) app.use(originValidation(allowedOrigins, { sameOriginFromHost: loopback }), options.admin);

  // Parser errors (malformed JSON, oversized bodies) become JSON-RPC errors with the right HTTP status.
  app.use((error: { status?: number; type?: string; message?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    if (error.type === 'entity.too.large') return jsonRpcError(res, 413, -32600, `Request body larger than ${config.http.bodyLimitBytes} bytes`);
    if (error.type === 'entity.parse.failed') return jsonRpcError(res, 400, -32700, 'Parse error: the body is not valid JSON');
    options.logger.error({ error: error.message }, 'unhandled HTTP error');
    jsonRpcError(res, error.status ?? 500, -32603, 'Internal error');
  });
  return app;
}
