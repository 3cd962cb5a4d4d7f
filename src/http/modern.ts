import type { Request, Response } from 'express';
import { toNodeHandler, type NodeMcpRequestHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, type McpHttpHandler } from '@modelcontextprotocol/server';
import type { AuthManager } from '../auth/index.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import type { ConnectionPool } from '../upstream/index.js';
import { localUser, type Principal } from '../principal/index.js';
import { ModernFace, PrincipalView } from '../session/index.js';
import { isLoopbackHost } from './origin.js';

/**
 * Who a 2026-07-28 request speaks for. Such a request has no session to own its tokens (SEP-2567: state hangs on the
 * caller's identity, never a connection). On a loopback bind only the local user can reach switchboard; on any other
 * bind the caller is unknown until a front door signs it in, which switchboard does not have yet.
 */
export function modernPrincipal(host: string, username: string): Principal | undefined {
  return isLoopbackHost(host) ? localUser(username) : undefined;
}

export interface ModernEndpointOptions {
  /** Absent on a non-loopback bind without a front door: nobody owns sign-ins there. */
  principal: Principal | undefined;
  config: Config;
  pool: ConnectionPool;
  logger: Logger;
  metrics: Metrics;
  auth?: AuthManager;
}

/**
 * The modern (2026-07-28) leg of /mcp: the SDK's per-request handler over the principal's view, with no handshake and
 * no session (`server/discover`, `subscriptions/listen` and input-required results come from the SDK). 2025-era
 * requests never reach it: app.ts routes them to the sessionful transport first.
 */
export class ModernEndpoint {
  private readonly face: ModernFace;
  private readonly handler: McpHttpHandler;
  private readonly node: NodeMcpRequestHandler;

  constructor(options: ModernEndpointOptions) {
    const view = new PrincipalView({
      ...options,
      logger: options.logger.child({ principal: options.principal?.kind ?? 'nobody' }),
      noSignInMessage: (server) => `The server "${server}" needs a sign-in, and this request has no principal to keep the tokens for: `
        + 'switchboard listens on a non-loopback address and has no front door (its own sign-in) configured. '
        + 'Sign-ins work for 2025-11-25 sessions, or for 2026-07-28 requests when switchboard is bound to loopback.',
    });
    this.handler = createMcpHandler(() => this.face.createServer(), {
      legacy: 'reject',
      maxRequestBodySize: options.config.http.bodyLimitBytes,
      onerror: (error) => options.logger.debug({ error: error.message }, 'modern request rejected'),
    });
    this.face = new ModernFace(view, this.handler.notify);
    this.node = toNodeHandler(this.handler, { onerror: (error) => options.logger.warn({ error: error.message }, 'modern request failed') });
  }

  async handle(req: Request, res: Response): Promise<void> {
    // 2026-07-28 subscriptions/listen: `params.notifications` is the filter, `resourceSubscriptions` the URIs to watch.
    const body = req.body as { method?: unknown; params?: { notifications?: { resourceSubscriptions?: unknown } } } | undefined;
    const uris = body?.method === 'subscriptions/listen' ? body.params?.notifications?.resourceSubscriptions : undefined;
    if (Array.isArray(uris) && uris.every((uri) => typeof uri === 'string')) res.once('close', this.face.watchResources(uris));
    await this.node(req, res, req.body);
  }

  async close(): Promise<void> {
    await this.handler.close();
    await this.face.close();
  }
}
