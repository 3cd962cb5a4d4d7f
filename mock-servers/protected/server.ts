import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import express, { type NextFunction, type Request, type Response } from 'express';
import { pino } from 'pino';
import { httpOrigin, listen } from '../../src/http/index.js';
import { bearerChallenge } from './challenge.js';
import { introspect, IntrospectionUnavailableError, type TokenClaims } from './introspection.js';
import type { ProtectedMcpServerOptions, RemoteAuthServer } from './options.js';
import { buildPrm, prmPaths } from './prm.js';
import { CLAIMS_KEY, createToolServer } from './tools.js';

/** One HTTP request the MCP endpoint received, as a test sees it. */
export interface ReceivedRequest {
  /** Wall-clock ISO time. */
  at: string;
  httpMethod: string;
  path: string;
  sessionId?: string;
  /** JSON-RPC method of the (first) message, e.g. 'tools/call'. */
  rpcMethod?: string;
  /** Every JSON-RPC method in the body (batches have several). */
  rpcMethods: string[];
  /** For tools/call. */
  toolName?: string;
  /** HTTP status, once the response headers went out. */
  status?: number;
  tokenPresented: boolean;
  /** Claims of a valid token; absent when no token or an invalid one was presented. Never the raw token. */
  token?: TokenClaims;
  /** Why the auth gate refused, e.g. 'missing_token', 'invalid_token', 'audience', 'insufficient_scope'. */
  rejection?: string;
  /** All request headers except `authorization`. */
  headers: Record<string, string | string[] | undefined>;
}

export interface ProtectedMcpServer {
  /** The MCP endpoint, e.g. `http://127.0.0.1:PORT/mcp`; also the PRM `resource` and the expected `aud`. */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  /** Where the PRM document is served (undefined when prmMode is 'none'). */
  readonly prmUrl: string | undefined;
  /** Requests received so far, oldest first. */
  inspect(): ReceivedRequest[];
  clearInspection(): void;
  /** Number of live MCP sessions. */
  sessionCount(): number;
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
}

interface JsonRpcMessageLike {
  method?: unknown;
  params?: { name?: unknown };
}


function normalisePath(path: string | undefined): string {
  const p = path ?? '/mcp';
  return p.startsWith('/') ? p : `/${p}`;
}

function withoutAuthorization(headers: IncomingHttpHeaders): Record<string, string | string[] | undefined> {
  const { authorization: _authorization, ...rest } = headers;
  return { ...rest };
}

function messagesOf(body: unknown): JsonRpcMessageLike[] {
  const list = Array.isArray(body) ? body : [body];
  return list.filter((m): m is JsonRpcMessageLike => typeof m === 'object' && m !== null);
}

function union(...lists: string[][]): string[] {
  return [...new Set(lists.flat())];
}

function audienceIncludes(aud: string | string[] | undefined, resource: string): boolean {
  if (aud === undefined) return false;
  return Array.isArray(aud) ? aud.includes(resource) : aud === resource;
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

function jsonRpcError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

export async function startProtectedMcpServer(options: ProtectedMcpServerOptions): Promise<ProtectedMcpServer> {
  const authServer: RemoteAuthServer =
    'endpoints' in options.authServer
      ? { issuer: options.authServer.issuer, introspectionUrl: options.authServer.endpoints.introspection }
      : { issuer: options.authServer.issuer, introspectionUrl: options.authServer.introspectionUrl };
  const host = options.host ?? '127.0.0.1';
  const path = normalisePath(options.path);
  const name = options.name ?? 'protected-mcp';
  const requiredScopes = options.requiredScopes ?? [];
  const toolScopes = options.toolScopes ?? {};
  const prmMode = options.prmMode ?? 'header';
  const audience = options.audience ?? 'strict';
  const scopeChallenge = options.scopeChallenge ?? 'operation';
  const log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'protected-mcp', name });

  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  const port = await listen(httpServer, options.port ?? 0, host);
  const origin = httpOrigin(host, port);
  const url = `${origin}${path}`;
  const prm = prmPaths(path, prmMode);
  const resourceMetadata = prm.advertised !== undefined ? `${origin}${prm.advertised}` : undefined;
  const prmDocument = buildPrm({
    resource: url,
    issuer: authServer.issuer,
    name,
    scopes: union(requiredScopes, ...Object.values(toolScopes)),
    overrides: options.prmOverrides ?? {},
  });

  const received: { record: ReceivedRequest; res: Response }[] = [];
  const sessions = new Map<string, Session>();

  for (const prmPath of prm.served) {
    app.get(prmPath, (_req, res) => void res.json(prmDocument));
  }

  const challengeWith = (res: Response, status: 401 | 403, challenge: Parameters<typeof bearerChallenge>[0], description: string): void => {
    res
      .status(status)
      .set('WWW-Authenticate', bearerChallenge({ ...challenge, ...(resourceMetadata !== undefined ? { resourceMetadata } : {}) }))
      .json({ error: challenge.error ?? 'unauthorized', error_description: description });
  };

  /**
   * The auth gate, in the order RFC 6750 implies: no token (401, no error
   * code, §3.1), bad token (401 invalid_token), token for someone else
   * (401 invalid_token: audience, RFC 8707 / MCP "token audience binding"),
   * too little scope (403 insufficient_scope).
   */
  const gate = async (req: Request & { auth?: AuthInfo }, res: Response, next: NextFunction): Promise<void> => {
    const messages = messagesOf(req.body);
    const toolNames = messages.filter((m) => m.method === 'tools/call' && typeof m.params?.name === 'string').map((m) => m.params?.name as string);
    const sessionHeader = req.headers['mcp-session-id'];
    const record: ReceivedRequest = {
      at: new Date().toISOString(),
      httpMethod: req.method,
      path: req.path,
      ...(typeof sessionHeader === 'string' ? { sessionId: sessionHeader } : {}),
      rpcMethods: messages.map((m) => (typeof m.method === 'string' ? m.method : '(response)')),
      tokenPresented: req.headers.authorization !== undefined,
      headers: withoutAuthorization(req.headers),
    };
    const firstMethod = record.rpcMethods[0];
    if (firstMethod !== undefined) record.rpcMethod = firstMethod;
    if (toolNames[0] !== undefined) record.toolName = toolNames[0];
    received.push({ record, res });

    const token = bearerToken(req.headers.authorization);
    if (token === undefined) {
      record.rejection = 'missing_token';
      challengeWith(res, 401, { scope: requiredScopes }, 'bearer token required');
      return;
    }
    let result;
    try {
      result = await introspect(authServer.introspectionUrl, token);
    } catch (error) {
      if (!(error instanceof IntrospectionUnavailableError)) throw error;
      record.rejection = 'introspection_unavailable';
      log.warn({ event: 'introspection.unavailable', err: error.message }, 'could not validate token');
      res.status(503).json({ error: 'temporarily_unavailable', error_description: 'token validation unavailable' });
      return;
    }
    if (!result.active) {
      record.rejection = 'invalid_token';
      challengeWith(res, 401, { error: 'invalid_token', scope: requiredScopes }, 'token is expired, revoked or unknown');
      return;
    }
    const claims = result.claims;
    if (audience === 'strict' && !audienceIncludes(claims.aud, url)) {
      record.rejection = 'audience';
      challengeWith(res, 401, { error: 'invalid_token', errorDescription: 'token audience is not this server', scope: requiredScopes }, 'token audience is not this server');
      return;
    }
    record.token = { ...claims };
    const granted = (claims.scope ?? '').split(' ').filter((s) => s !== '');
    const needed = union(requiredScopes, ...toolNames.map((t) => toolScopes[t] ?? []));
    const missing = needed.filter((s) => !granted.includes(s));
    if (missing.length > 0) {
      record.rejection = 'insufficient_scope';
      const challenged = scopeChallenge === 'accumulated' ? union(granted, needed) : needed;
      challengeWith(res, 403, { error: 'insufficient_scope', errorDescription: `missing scope: ${missing.join(' ')}`, scope: challenged }, 'insufficient scope');
      return;
    }
    req.auth = {
      token,
      clientId: claims.client_id ?? '',
      scopes: granted,
      ...(claims.exp !== undefined ? { expiresAt: claims.exp } : {}),
      resource: new URL(url),
      extra: { [CLAIMS_KEY]: claims },
    };
    next();
  };

  const handleMcp = async (req: Request & { auth?: AuthInfo }, res: Response): Promise<void> => {
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId);
      if (!session) return jsonRpcError(res, 404, -32001, 'Session not found');
      await session.transport.handleRequest(req, res, req.body);
      return;
    }
    if (req.method !== 'POST' || !isInitializeRequest(req.body)) {
      return jsonRpcError(res, 400, -32000, 'Bad Request: no valid session id');
    }
    // Stateful mode: one transport and one McpServer per session.
    const server = createToolServer(name, toolScopes);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server });
        log.info({ event: 'session.opened', sessionId: id }, 'mcp session opened');
      },
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  };

  app.all(path, express.json({ limit: '4mb' }), gate, handleMcp);

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: unknown }).status;
    if (res.headersSent) return;
    if (typeof status === 'number' && status >= 400 && status < 500) return jsonRpcError(res, status, -32700, 'Parse error');
    log.error({ event: 'protected_mcp.error', err: error }, 'unhandled error in protected MCP server');
    jsonRpcError(res, 500, -32603, 'Internal error');
  });

  let closing: Promise<void> | undefined;
  return {
    url,
    origin,
    port,
    prmUrl: prm.served[0] !== undefined ? `${origin}${prm.served[0]}` : undefined,
    inspect: () =>
      received.map(({ record, res }) => ({
        ...structuredClone(record),
        ...(res.headersSent ? { status: res.statusCode } : {}),
      })),
    clearInspection: () => {
      received.length = 0;
    },
    sessionCount: () => sessions.size,
    close: () => {
      closing ??= (async () => {
        await Promise.allSettled([...sessions.values()].map((s) => s.server.close()));
        sessions.clear();
        await new Promise<void>((resolve) => {
          httpServer.close(() => resolve());
          httpServer.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}
