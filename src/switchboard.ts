import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import { userInfo } from 'node:os';
import express from 'express';
import { AuditLog, type AuditDestination, type AuditRecorder } from './audit/index.js';
import { AuthManager, authRoutes } from './auth/index.js';
import { isEmptyChange, loadConfigFile, ServerSet, watchFile, type Config, type RemovedServer, type ServerChange } from './config/index.js';
import { FrontDoor } from './front-door/index.js';
import { adminRoutes, createHttpApp, httpOrigin, isLoopbackHost, listen, ModernEndpoint, modernPrincipal, PortInUseError, SessionRegistry, sessionGrantTtlMs, type Readiness } from './http/index.js';
import type { Logger } from './log/index.js';
import { Metrics } from './metrics/index.js';
import { localUser } from './principal/index.js';
import { loadStoredServers, RuntimeServers } from './runtime-servers/index.js';
import { serveOverStdio } from './session/index.js';
import { createTokenStore, requestStateSealer, type TokenStore } from './store/index.js';
import { ConnectionPool, HealthMonitor } from './upstream/index.js';

export interface ServeOptions {
  /** SWITCHBOARD_SECRET: the key material for tokens at rest (required with Redis). */
  secret?: string;
  /** Where audit events go instead of what `audit` configures (tests read them). */
  audit?: AuditDestination;
  /** The configuration file: when it changes (or on reload()), its servers are applied without a restart. */
  configFile?: string;
}

export interface RunningHttp {
  /** The MCP endpoint, e.g. http://127.0.0.1:8080/mcp */
  url: string;
  port: number;
  auth: AuthManager;
  /** Reads the configuration file again and applies its servers (SIGHUP); undefined when it was refused. */
  reload(): Promise<ServerChange | undefined>;
  close(): Promise<void>;
}

/** What follows a change of the server set, in this order: connections of old configurations close first. */
interface ServerChangeTargets {
  pool: ConnectionPool;
  auth: AuthManager;
  /** The periodic checks follow the servers (HTTP mode). */
  health?: HealthMonitor;
  views: { serversChanged(change: ServerChange): void }[];
  /** Hot reloads are recorded here. */
  audit: AuditRecorder;
}

/**
 * Connections of removed and reconfigured servers close first, then auth forgets what it knew of them, then the views
 * tell their clients. Resolves once the tokens of the servers in `removed` are deleted for every principal (only the
 * process that made the change passes them: the store is shared, one deletion serves every replica).
 */
async function applyServerChange(change: ServerChange, removed: readonly RemovedServer[], targets: ServerChangeTargets, logger: Logger): Promise<void> {
  if (isEmptyChange(change)) return;
  targets.pool.serversChanged(change);
  targets.health?.serversChanged(change);
  const tokensDeleted = targets.auth.serversChanged(change, removed);
  for (const views of targets.views) views.serversChanged(change);
  logger.info(change, 'servers changed');
  await tokensDeleted;
}

/** Hot reload of `file`, when there is one: on every change of it, and on reload() (SIGHUP). */
function hotReload(file: string | undefined, servers: ServerSet, targets: ServerChangeTargets, logger: Logger) {
  if (!file) return { reload: async () => undefined, stopWatching: () => {} };
  const reload = configReloader(file, servers, targets, logger);
  return { reload, stopWatching: watchFile(file, () => void reload()) };
}

/** A reload comes from the file watch or SIGHUP, not from a person switchboard knows. */
const RELOAD_USER = 'system:config-file';

/**
 * Hot reload: the file is loaded and checked as at start-up; a file that does not load is refused with the same
 * error, and the running configuration stays. Only `mcpServers` changes without a restart.
 */
function configReloader(path: string, servers: ServerSet, targets: ServerChangeTargets, logger: Logger): () => Promise<ServerChange | undefined> {
  let rest: string | undefined;
  const others = (config: Config) => JSON.stringify({ ...config, mcpServers: undefined });
  void loadConfigFile(path).then((config) => {
    rest ??= others(config);
  }, () => {});
  // One reload at a time, in order: a save that follows another applies after it, tokens deleted included.
  let running: Promise<ServerChange | undefined> = Promise.resolve(undefined);
  const reloadOnce = async (): Promise<ServerChange | undefined> => {
    let next: Config;
    try {
      next = await loadConfigFile(path);
    } catch (error) {
      // ConfigError texts name the file, the key and what was expected, never a value.
      const reason = error instanceof Error ? error.message : String(error);
      logger.error({ file: path, error: reason }, 'the changed configuration file is refused; the running configuration stays');
      targets.audit.record({ user: RELOAD_USER, action: 'config.reload', resourceType: 'config', resourceId: path, outcome: 'failure', reason });
      return undefined;
    }
    if (rest !== undefined && others(next) !== rest) logger.warn({ file: path }, 'only mcpServers changes apply without a restart; the other changes wait for one');
    rest = others(next);
    const { change, orphaned } = servers.replaceFromFile(next.mcpServers);
    // Every replica reloads its own file: each deletes what its file removed (idempotent, under the refresh locks).
    await applyServerChange(change, orphaned, targets, logger);
    const summary = (['added', 'removed', 'updated'] as const).map((kind) => `${kind}: ${change[kind].join(', ') || 'none'}`).join('; ');
    targets.audit.record({ user: RELOAD_USER, action: 'config.reload', resourceType: 'config', resourceId: path, outcome: 'success', reason: summary });
    return change;
  };
  return () => (running = running.then(reloadOnce, reloadOnce));
}

/** The token store, checked once at start: an unreachable Redis is reported loudly and never replaced by memory. */
async function openStore(config: Config, options: ServeOptions, logger: Logger): Promise<TokenStore> {
  const store = createTokenStore({ url: config.store.url, secret: options.secret, logger, sessionGrantTtlMs: sessionGrantTtlMs(config) });
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
  // The servers added through the admin API join the file's before anything connects.
  const servers = new ServerSet(config);
  await loadStoredServers(servers, store, logger);
  const auth = new AuthManager(config, store, logger, audit);
  // Every server's shared connection opens now, in parallel: /readyz reports them before any client connects, and the
  // first session finds the public servers connected.
  // Era verdicts live in the store when it is shared (Redis): a server one replica probed, the others connect with no probe.
  const pool = new ConnectionPool(config, logger, store.eraVerdicts, (server) => auth.staticCredentials.for(server));
  pool.warm();
  // Each server is checked periodically on that shared connection, with its own credentials.
  const health = new HealthMonitor(config, pool, logger);
  health.start();
  const sessions = new SessionRegistry(config, pool, logger, metrics, auth, audit, health);
  // Every replica with the same secret opens the request states of the others; a held call's state names its replica.
  const rounds = { sealer: requestStateSealer(options.secret), replica: config.http.replicaId ?? randomUUID(), heldCalls: store.heldCalls };
  const modern = new ModernEndpoint({ principal: modernPrincipal(config.http.host, userInfo().username), config, pool, logger, metrics, auth, audit, health, rounds });
  const inboundAuth = config.inboundAuth;
  const frontDoor = inboundAuth ? new FrontDoor({ config: { ...config, inboundAuth }, publicUrl: () => auth.publicUrl, logger, audit }) : undefined;
  const targets: ServerChangeTargets = { pool, auth, health, views: [sessions, modern], audit };
  const { reload, stopWatching } = hotReload(options.configFile, servers, targets, logger);
  const runtime = new RuntimeServers(servers, store, (change, removed) => applyServerChange(change, removed, targets, logger), logger);
  const stopFollowing = runtime.follow();
  const admin = adminRoutes({ servers, runtime, frontDoor, loopback: isLoopbackHost(config.http.host), logger, audit });
  const app = createHttpApp({
    frontDoor,
    admin,
    identityAssertions: auth.identityAssertions,
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
    reload,
    close: async () => {
      health.stop();
      stopWatching();
      stopFollowing();
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
export async function serveStdio(config: Config, logger: Logger, options: ServeOptions = {}): Promise<Pick<RunningHttp, 'reload' | 'close'>> {
  const store = await openStore(config, options, logger);
  const servers = new ServerSet(config);
  await loadStoredServers(servers, store, logger);
  const audit = openAudit(config, options, 2);
  const auth = new AuthManager(config, store, logger, audit);
  const app = express();
  app.disable('x-powered-by');
  app.use(authRoutes(auth, logger));
  const callbackServer = createServer(app);
  const port = await listenForCallback(callbackServer, config, logger);
  if (!config.publicUrl) auth.setPublicUrl(httpOrigin(config.http.host, port));
  // The one stdio session belongs to the local user; as a principal it outlives the process, so with a persistent
  // store an IDE restart keeps the sign-ins. (HTTP sessions are principals of their own.)
  // Era verdicts live in the store when it is shared (Redis): a server one replica probed, the others connect with no probe.
  const pool = new ConnectionPool(config, logger, store.eraVerdicts, (server) => auth.staticCredentials.for(server));
  const stdio = serveOverStdio({ principal: localUser(userInfo().username), config, pool, logger, metrics: new Metrics(), auth });
  logger.info({ servers: Object.keys(config.mcpServers), callback: auth.redirectUri }, 'switchboard serving on stdio');
  const targets: ServerChangeTargets = { pool, auth, views: [stdio], audit };
  const { reload, stopWatching } = hotReload(options.configFile, servers, targets, logger);
  // No admin API here, but the servers other processes on a shared store add and remove are followed.
  const stopFollowing = new RuntimeServers(servers, store, (change, removed) => applyServerChange(change, removed, targets, logger), logger).follow();
  return {
    reload,
    close: async () => {
      stopWatching();
      stopFollowing();
      await stdio.close();
      await pool.close();
      await stopServer(callbackServer);
      await store.close();
    },
  };
}
