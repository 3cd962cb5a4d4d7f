import { createServer, type Server as HttpServer } from 'node:http';
import { userInfo } from 'node:os';
import express from 'express';
import { AuditLog, type AuditDestination } from './audit/index.js';
import { AuthManager, authRoutes } from './auth/index.js';
import type { Config } from './config/index.js';
import { FrontDoor } from './front-door/index.js';
import { createHttpApp, httpOrigin, listen, ModernEndpoint, modernPrincipal, PortInUseError, SessionRegistry, type Readiness } from './http/index.js';
import type { Logger } from './log/index.js';
import { Metrics } from './metrics/index.js';
import { localUser } from './principal/index.js';
import { serveOverStdio } from './session/index.js';
import { createTokenStore, type TokenStore } from './store/index.js';
import { ConnectionPool, HealthMonitor } from './upstream/index.js';

export interface ServeOptions {
  /** SWITCHBOARD_SECRET: the key material for tokens at rest (required with Redis). */
  secret?: string;
  /** Where audit events go instead of what `audit` configures (tests read them). */
  audit?: AuditDestination;
}

export interface RunningHttp {
  /** The MCP endpoint, e.g. http://127.0.0.1:8080/mcp */
  url: string;
  port: number;
  auth: AuthManager;
  close(): Promise<void>;
}

/** The token store, checked once at start: an unreachable Redis is reported loudly and never replaced by memory. */
async function openStore(config: Config, options: ServeOptions, logger: Logger): Promise<TokenStore> {
  const store = createTokenStore({ url: config.store.url, secret: options.secret, logger });
  await store.ping().catch((error: unknown) => {
    logger.error({ store: store.kind, error: error instanceof Error ? error.message : String(error) }, 'token store unreachable: sign-ins will fail until it is back (not ready)');
  });
  return store;
}

/** The audit trail: `audit.file`, or the process's own output (stdout over HTTP; stderr in stdio mode, where stdout is the protocol). */
function openAudit(config: Config, options: ServeOptions, fallbackFd: 1 | 2): AuditLog {
  return new AuditLog(options.audit ?? (config.audit.file ? { file: config.audit.file } : { fd: fallbackFd }));
}

/** Visibility needs to know who is calling; without the front door every server is public (issue 8). */
function warnAboutVisibility(config: Config, logger: Logger): void {
  if (config.inboundAuth) return;
  const restricted = Object.entries(config.mcpServers).filter(([, server]) => server.visibility !== 'public').map(([name]) => name);
  if (restricted.length > 0) logger.warn({ servers: restricted }, 'visibility has no effect without inboundAuth: every server is public to every client');
}

async function storeReadiness(store: TokenStore): Promise<{ kind: string; ok: boolean; error?: string }> {
  try {
    await store.ping();
    return { kind: store.kind, ok: true };
  } catch (error) {
    return { kind: store.kind, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

async function stopServer(server: HttpServer): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Serves switchboard over Streamable HTTP: one session per client, plus OAuth callback, health, readiness and metrics. */
export async function serveHttp(config: Config, logger: Logger, options: ServeOptions = {}): Promise<RunningHttp> {
  const metrics = new Metrics();
  warnAboutVisibility(config, logger);
  const audit = openAudit(config, options, 1);
  const store = await openStore(config, options, logger);
  const auth = new AuthManager(config, store, logger, audit);
  // Every server's shared connection opens now, in parallel: /readyz reports them before any client connects, and the
  // first session finds the public servers connected.
  const pool = new ConnectionPool(config, logger);
  pool.warm();
  // Each server is checked periodically on that shared connection, with its own credentials.
  const health = new HealthMonitor(config, pool, logger);
  health.start();
  const sessions = new SessionRegistry(config, pool, logger, metrics, auth, audit, health);
  const modern = new ModernEndpoint({ principal: modernPrincipal(config.http.host, userInfo().username), config, pool, logger, metrics, auth, audit, health });
  const inboundAuth = config.inboundAuth;
  const frontDoor = inboundAuth ? new FrontDoor({ config: { ...config, inboundAuth }, publicUrl: () => auth.publicUrl, logger, audit }) : undefined;
  const app = createHttpApp({
    frontDoor,
    config,
    logger,
    metrics,
    sessions,
    modern,
    routes: authRoutes(auth, logger),
    upstreamConnections: () => pool.connections(),
    health: () => health.report(),
    readiness: async (): Promise<Readiness> => {
      const storeState = await storeReadiness(store);
      const report = health.report();
      const servers = Object.fromEntries(Object.entries(pool.states()).map(([name, state]) => [name, { ...state, ...report[name] }]));
      return { ready: storeState.ok, store: storeState, sessions: sessions.size, servers };
    },
  });
  const server = createServer(app);
  // Long tool calls stream over SSE; Node's default 5-minute request timeout would cut them.
  server.requestTimeout = 0;
  const port = await listen(server, config.http.port, config.http.host);
  if (!config.publicUrl) auth.setPublicUrl(httpOrigin(config.http.host, port));
  const url = `${httpOrigin(config.http.host, port)}/mcp`;
  logger.info({ url, servers: Object.keys(config.mcpServers), store: store.kind, frontDoor: inboundAuth ? { issuer: inboundAuth.issuer, audience: frontDoor!.audience, tokens: config.tokens.scope } : false }, 'switchboard listening');
  return {
    url,
    port,
    auth,
    close: async () => {
      health.stop();
      await Promise.all([sessions.closeAll(), modern.close()]);
      await pool.close();
      await stopServer(server);
      await store.close();
    },
  };
}

/**
 * The stdio mode's callback listener. The default port is often taken (the demo, a second IDE window), and RFC 8252
 * section 7.3 lets a loopback redirect URI use any port, so a taken default port is replaced by a free one and the
 * redirect URI follows it. A port the user chose, or a configured publicUrl (the redirect URI is then fixed), is kept:
 * a taken one fails start-up with PortInUseError.
 */
async function listenForCallback(server: HttpServer, config: Config, logger: Logger): Promise<number> {
  try {
    return await listen(server, config.http.port, config.http.host);
  } catch (error) {
    if (!(error instanceof PortInUseError) || config.http.portChosen || config.publicUrl) throw error;
    const port = await listen(server, 0, config.http.host);
    logger.warn({ taken: config.http.port, port }, 'the default OAuth callback port is taken; listening on a free one');
    return port;
  }
}

/**
 * Serves one session over stdio, for IDEs that launch MCP servers as commands. Logs go to stderr. The OAuth callback
 * still needs a browser-reachable HTTP listener, so a small one serves only /oauth/*.
 */
export async function serveStdio(config: Config, logger: Logger, options: ServeOptions = {}): Promise<{ close(): Promise<void> }> {
  const store = await openStore(config, options, logger);
  const auth = new AuthManager(config, store, logger, openAudit(config, options, 2));
  const app = express();
  app.disable('x-powered-by');
  app.use(authRoutes(auth, logger));
  const callbackServer = createServer(app);
  const port = await listenForCallback(callbackServer, config, logger);
  if (!config.publicUrl) auth.setPublicUrl(httpOrigin(config.http.host, port));
  // The one stdio session belongs to the local user; as a principal it outlives the process, so with a persistent
  // store an IDE restart keeps the sign-ins. (HTTP sessions are principals of their own.)
  const pool = new ConnectionPool(config, logger);
  const stdio = serveOverStdio({ principal: localUser(userInfo().username), config, pool, logger, metrics: new Metrics(), auth });
  logger.info({ servers: Object.keys(config.mcpServers), callback: auth.redirectUri }, 'switchboard serving on stdio');
  return {
    close: async () => {
      await stdio.close();
      await pool.close();
      await stopServer(callbackServer);
      await store.close();
    },
  };
}
