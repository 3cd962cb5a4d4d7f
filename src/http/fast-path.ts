import type { NextFunction, Request, Response } from 'express';
import { ProtocolErrorCode, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';
import { callerOf } from '../front-door/index.js';
import type { Logger } from '../log/index.js';
import type { SessionRegistry } from './sessions.js';

interface JsonRpcRequest {
  jsonrpc: '2.0';
  id?: string | number;
  method?: string;
  params?: { name?: unknown; cursor?: unknown; requestId?: unknown; arguments?: unknown; _meta?: { progressToken?: unknown } };
}

/**
 * tools/list and tools/call on an established session, answered as one JSON object without the SDK's server transport
 * (which converts every request to web streams and back, and re-serialises megabytes of tool list each time).
 * MCP 2025-11-25 basic/transports#sending-messages-to-the-server: for a request, the server returns either an SSE
 * stream or `Content-Type: application/json` with one JSON object. JSON is used only when nothing but the result can
 * need the stream: no progress token, and a client that declared neither sampling nor elicitation (see
 * Session.fastPathEligible). Everything else, and anything unusual, goes to the SDK transport unchanged.
 */
export function fastPath(sessions: SessionRegistry, logger: Logger) {
  /** Calls in flight by session and JSON-RPC id, so notifications/cancelled reaches them. */
  const inFlight = new Map<string, AbortController>();

  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const sessionId = req.header('mcp-session-id');
    const message = req.body as JsonRpcRequest | undefined;
    if (!sessionId || !message || typeof message !== 'object' || Array.isArray(message) || message.jsonrpc !== '2.0') return next();
    if (message.method === 'notifications/cancelled') {
      // MCP 2025-11-25 basic/utilities/cancellation; the SDK transport still gets the notification for its own requests.
      inFlight.get(`${sessionId}\u0000${String(message.params?.requestId)}`)?.abort();
      return next();
    }
    if (message.id === undefined || (message.method !== 'tools/list' && message.method !== 'tools/call')) return next();
    if (message.method === 'tools/list' && message.params?.cursor !== undefined) return next();
    if (message.method === 'tools/call' && (typeof message.params?.name !== 'string' || message.params._meta?.progressToken !== undefined)) return next();
    const version = req.header('mcp-protocol-version');
    if (version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return next();
    const accept = req.header('accept') ?? '';
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) return next();
    const found = sessions.find(sessionId, callerOf(res)?.principal);
    if (!found?.session.fastPathEligible) return next();

    const id = JSON.stringify(message.id);
    const reply = (member: string) => {
      const body = `{"jsonrpc":"2.0","id":${id},${member}}`;
      // With its length known the answer leaves in one write, not as chunks.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (message.method === 'tools/list') {
      const result = await found.session.toolsListJson();
      const head = Buffer.from(`{"jsonrpc":"2.0","id":${id},"result":`);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': head.length + result.length + 1 });
      res.cork();
      res.write(head);
      res.write(result);
      res.end('}');
      return;
    }
    const key = `${sessionId}\u0000${String(message.id)}`;
    const controller = new AbortController();
    inFlight.set(key, controller);
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    try {
      const params = message.params as { name: string; arguments?: Record<string, unknown> };
      // No requestId: this request never reached the SDK transport, so it has no stream there to relate messages to.
      // Without one, what an upstream sends during the call (logs, roots/list) goes on the client's GET stream.
      const result = await found.session.callTool(params, { signal: controller.signal });
      // MCP 2025-11-25 basic/utilities/cancellation: no response for a cancelled request.
      if (controller.signal.aborted) return;
      reply(`"result":${JSON.stringify(result)}`);
    } catch (error) {
      if (controller.signal.aborted) return;
      const protocol = protocolErrorOf(error);
      if (!protocol) logger.warn({ session: sessionId, error: error instanceof Error ? error.message : String(error) }, 'tools/call failed');
      const { code, message: text, data } = protocol ?? { code: ProtocolErrorCode.InternalError, message: 'Internal error', data: undefined };
      reply(`"error":${JSON.stringify({ code, message: text, ...(data !== undefined ? { data } : {}) })}`);
    } finally {
      inFlight.delete(key);
    }
  };
}

/**
 * A JSON-RPC error to answer with, as the SDK's own dispatch reads one: any error with an integer code (switchboard's
 * and the upstream client's protocol errors alike); anything else is an internal error whose text stays in the log.
 */
function protocolErrorOf(error: unknown): { code: number; message: string; data: unknown } | undefined {
  if (!(error instanceof Error) || !Number.isSafeInteger((error as { code?: unknown }).code)) return undefined;
  return { code: (error as unknown as { code: number }).code, message: error.message, data: (error as { data?: unknown }).data };
}
