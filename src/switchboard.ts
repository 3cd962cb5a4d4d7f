import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Config } from './config/index.js';
import { createHttpApp, SessionRegistry } from './http/index.js';
import type { Logger } from './log/index.js';
import { Metrics } from './metrics/index.js';
import { Session } from './session/index.js';
import { ServerMonitor } from './upstream/index.js';

export interface RunningHttp {
  /** The MCP endpoint, e.g. http://127.0.0.1:8080/mcp */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves switchboard over Streamable HTTP: one session per client, plus health, readiness and metrics. */
export async function serveHttp(config: Config, logger: Logger): Promise<RunningHttp> {
  const metrics = new Metrics();
  const sessions = new SessionRegistry(config, logger, metrics);
  const monitor = new ServerMonitor(config, logger);
  monitor.start();
  const app = createHttpApp({
    config,
    logger,
    metrics,
    sessions,
    readiness: async () => ({ ready: true, sessions: sessions.size, servers: monitor.states() }),
  });
  const server: HttpServer = createServer(app);
  // Long tool calls stream over SSE; Node's default 5-minute request timeout would cut them.
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.http.port, config.http.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
  const url = `http://${host}:${port}/mcp`;
  logger.info({ url, servers: Object.keys(config.mcpServers) }, 'switchboard listening');
  return {
    url,
    port,
    close: async () => {
      await Promise.all([sessions.closeAll(), monitor.close()]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Serves one session over stdio, for IDEs that launch MCP servers as commands. Logs must go to stderr. */
export async function serveStdio(config: Config, logger: Logger): Promise<{ close(): Promise<void> }> {
  const session = new Session({ id: 'stdio', config, logger, metrics: new Metrics() });
  const transport = new StdioServerTransport();
  await session.server.connect(transport);
  logger.info({ servers: Object.keys(config.mcpServers) }, 'switchboard serving on stdio');
  return { close: () => session.close() };
}
