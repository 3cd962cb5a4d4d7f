import type { Config } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { UpstreamConnection, type DownstreamPeer } from './connection.js';
import { UpstreamRequestError } from './errors.js';
import type { UpstreamState } from './state.js';

/** The monitor is nobody's session: it declares no client capabilities and has nowhere to forward to. */
const NO_CLIENT: DownstreamPeer = {
  clientCapabilities: {},
  forwardRequest: async () => {
    throw new UpstreamRequestError(-32601, 'the health monitor has no client');
  },
  forwardNotification: async () => {},
};

/**
 * One process-wide connection per upstream, opened at start in parallel: it tells operators (GET /readyz) whether each
 * server is reachable before any client has connected, and keeps retrying with backoff. Sessions have their own
 * connections; this one carries no client traffic.
 */
export class ServerMonitor {
  private readonly connections: UpstreamConnection[];

  constructor(config: Config, logger: Logger) {
    this.connections = Object.entries(config.mcpServers).map(([name, serverConfig]) => new UpstreamConnection({
      name,
      config: serverConfig,
      peer: NO_CLIENT,
      logger: logger.child({ monitor: true }),
      onChange: () => {},
      backoff: { initialMs: config.reconnect.initialDelayMs, maxMs: config.reconnect.maxDelayMs },
    }));
  }

  start(): void {
    for (const connection of this.connections) connection.start();
  }

  states(): Record<string, { state: UpstreamState; detail?: string; tools: number }> {
    return Object.fromEntries(this.connections.map((c) => [c.name, { state: c.state, detail: c.stateDetail, tools: c.catalog.tools.length }]));
  }

  async close(): Promise<void> {
    await Promise.all(this.connections.map((c) => c.close()));
  }
}
