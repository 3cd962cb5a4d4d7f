import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { Server, ServerNotifier } from '@modelcontextprotocol/server';
import type { AuthManager } from '../auth/index.js';
import type { Config, ServerChange } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import { Session } from './legacy.js';
import { ModernFace } from './modern.js';
import type { Principal } from '../principal/index.js';
import { requestStateSealer } from '../store/index.js';
import type { ConnectionPool } from '../upstream/index.js';
import { PrincipalView } from './view.js';

export interface StdioOptions {
  principal: Principal;
  config: Config;
  pool: ConnectionPool;
  logger: Logger;
  metrics: Metrics;
  auth?: AuthManager;
}

/** On stdio the change notifications of a modern connection go through its pinned instance onto its listen streams. */
function notifierOf(server: Server): ServerNotifier {
  const quietly = (sent: Promise<void>) => void sent.catch(() => {});
  return {
    toolsChanged: () => quietly(server.sendToolListChanged()),
    promptsChanged: () => quietly(server.sendPromptListChanged()),
    resourcesChanged: () => quietly(server.sendResourceListChanged()),
    resourceUpdated: (uri) => quietly(server.sendResourceUpdated({ uri })),
  };
}

/**
 * The one stdio connection, in the era its opening chose (the SDK's serveStdio decides: `initialize` pins a 2025-era
 * instance, a modern first request a 2026-07-28 one). Either way the principal is the local user, whose sign-ins
 * outlive the process.
 */
export function serveOverStdio(options: StdioOptions): { serversChanged(change: ServerChange): void; close(): Promise<void> } {
  let legacy: Session | undefined;
  let modern: ModernFace | undefined;
  let modernView: PrincipalView | undefined;
  const handle = serveStdio((ctx) => {
    if (ctx.era === 'legacy') {
      legacy ??= new Session({ ...options, id: 'stdio' });
      return legacy.server;
    }
    modernView ??= new PrincipalView({ ...options, logger: options.logger.child({ principal: options.principal.kind }) });
    // One process and one client: a request state is sealed for this process only, and no call is held elsewhere.
    modern ??= new ModernFace(modernView, { sealer: requestStateSealer(undefined), replica: 'stdio' });
    const server = modern.createServer();
    modern.publishTo(notifierOf(server));
    return server;
  }, { onerror: (error) => options.logger.debug({ error: error.message }, 'stdio message rejected') });
  return {
    serversChanged: (change) => {
      legacy?.view.serversChanged(change);
      modernView?.serversChanged(change);
    },
    close: async () => {
      await Promise.all([legacy?.close({ forgetTokens: false }), modern?.close()]);
      await handle.close();
    },
  };
}
