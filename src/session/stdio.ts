import { serveStdio, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { ProtocolErrorCode, type JSONRPCMessage, type RequestId, type Server, type ServerNotifier } from '@modelcontextprotocol/server';
import type { AuthManager } from '../auth/index.js';
import type { Config, ServerChange } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import { Session } from './legacy.js';
import { ModernFace } from './modern.js';
import type { Principal } from '../principal/index.js';
import { requestStateSealer } from '../store/index.js';
import type { ConnectionPool } from '../upstream/index.js';
import { toolCallParamsProblem } from './tool-call-params.js';
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
  // A modern client's view and face, made by its first modern message (the SDK's pinning, or a listen it observes).
  const modernFace = (): ModernFace => {
    modernView ??= new PrincipalView({ ...options, logger: options.logger.child({ principal: options.principal.kind }) });
    // One process and one client: a request state is sealed for this process only, and no call is held elsewhere.
    return (modern ??= new ModernFace(modernView, { sealer: requestStateSealer(undefined), replica: 'stdio' }));
  };
  const wire = new StdioServerTransport();
  const handle = serveStdio((ctx) => {
    if (ctx.era === 'legacy') {
      legacy ??= new Session({ ...options, id: 'stdio' });
      return legacy.server;
    }
    const face = modernFace();
    const server = face.createServer();
    face.publishTo(notifierOf(server));
    return server;
  }, { transport: wire, onerror: (error) => options.logger.debug({ error: error.message }, 'stdio message rejected') });
  const unwatchAll = watchListenedResources(wire, (uris) => modernFace().watchResources(uris));
  refuseMalformedToolCalls(wire);
  return {
    serversChanged: (change) => {
      legacy?.view.serversChanged(change);
      modernView?.serversChanged(change);
    },
    close: async () => {
      unwatchAll();
      await Promise.all([legacy?.close({ forgetTokens: false }), modern?.close()]);
      await handle.close();
    },
  };
}

/**
 * The upstream resource subscriptions of a modern stdio client follow its listen streams, as on HTTP (http/modern.ts):
 * a `subscriptions/listen` naming `resourceSubscriptions` (MCP 2026-07-28 basic/utilities/subscriptions) watches those
 * URIs until the client cancels it, the SDK refuses it (an error response to its id), or the connection ends. The
 * SDK's serveStdio answers listen requests itself, so the wire's messages are observed on their way through, never
 * changed. Returns what releases every watch.
 */
function watchListenedResources(wire: StdioServerTransport, watch: (uris: readonly string[]) => () => void): () => void {
  const watches = new Map<RequestId, () => void>();
  const release = (id: RequestId | undefined) => {
    if (id === undefined) return;
    watches.get(id)?.();
    watches.delete(id);
  };
  const inbound = wire.onmessage;
  wire.onmessage = (message) => {
    const uris = listenedUris(message);
    const id = 'id' in message ? message.id : undefined;
    if (id !== undefined && uris) {
      release(id);
      watches.set(id, watch(uris));
    } else if ('method' in message && message.method === 'notifications/cancelled') {
      release((message.params as { requestId?: RequestId } | undefined)?.requestId);
    }
    inbound?.(message);
  };
  const send = wire.send.bind(wire);
  wire.send = (message) => {
    if ('error' in message) release(message.id ?? undefined);
    return send(message);
  };
  return () => {
    for (const unwatch of watches.values()) unwatch();
    watches.clear();
  };
}

/**
 * A tools/call whose params are malformed gets switchboard's short -32602, as on HTTP (http/envelope.ts), instead of
 * the SDK's schema dump; it never reaches the SDK or an upstream.
 */
function refuseMalformedToolCalls(wire: StdioServerTransport): void {
  const inbound = wire.onmessage;
  wire.onmessage = (message) => {
    const id = 'id' in message ? message.id : undefined;
    const problem = id !== undefined && 'method' in message && message.method === 'tools/call' ? toolCallParamsProblem(message.params) : undefined;
    if (id === undefined || problem === undefined) return inbound?.(message);
    void wire.send({ jsonrpc: '2.0', id, error: { code: ProtocolErrorCode.InvalidParams, message: problem } }).catch(() => {});
  };
}

function listenedUris(message: JSONRPCMessage): string[] | undefined {
  if (!('method' in message) || message.method !== 'subscriptions/listen') return undefined;
  const uris = (message.params as { notifications?: { resourceSubscriptions?: unknown } } | undefined)?.notifications?.resourceSubscriptions;
  return Array.isArray(uris) && uris.length > 0 && uris.every((uri) => typeof uri === 'string') ? uris : undefined;
}
