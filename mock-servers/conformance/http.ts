import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Request, Response } from 'express';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { InMemoryEventStore } from '@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { createConformanceServer } from './server.js';

export interface ConformanceFixtureOptions {
  /** Default 127.0.0.1; on a loopback host the SDK's DNS-rebinding Host check is on, as the suite expects. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
}

export interface ConformanceFixture {
  /** The Streamable HTTP endpoint, e.g. http://127.0.0.1:7001/mcp */
  readonly url: string;
  readonly port: number;
  /** Sessions currently open. */
  readonly sessions: number;
  close(): Promise<void>;
}

interface Hosted {
  server: Server;
  transport: StreamableHTTPServerTransport;
}

/** The SSE `retry` the fixture asks its clients to wait before they reconnect. */
const RETRY_INTERVAL_MS = 200;

function jsonRpcError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

function carriesInitialize(body: unknown): boolean {
  return Array.isArray(body) ? body.some((message) => isInitializeRequest(message)) : isInitializeRequest(body);
}

/** Serves the conformance fixture over Streamable HTTP at /mcp, one `Server` and transport per session. */
export async function startConformanceFixture(options: ConformanceFixtureOptions = {}): Promise<ConformanceFixture> {
  const host = options.host ?? '127.0.0.1';
  const sessions = new Map<string, Hosted>();
  const app = createMcpExpressApp({ host });

  const closeSession = async (id: string) => {
    const hosted = sessions.get(id);
    if (!hosted) return;
    sessions.delete(id);
    await hosted.server.close().catch(() => {});
  };

  app.post('/mcp', async (req: Request, res: Response) => {
    const id = req.header('mcp-session-id');
    if (id) {
      const hosted = sessions.get(id);
      // MCP 2025-11-25 basic/transports#session-management: an unknown session id gets 404.
      if (!hosted) return jsonRpcError(res, 404, -32001, 'Session not found');
      return hosted.transport.handleRequest(req, res, req.body);
    }
    if (!carriesInitialize(req.body)) return jsonRpcError(res, 400, -32000, 'Bad Request: no Mcp-Session-Id header, and not an initialize request');
    const server = createConformanceServer();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      // Resumable streams (test_reconnection): the SDK's example store, one per session, gone with it.
      eventStore: new InMemoryEventStore(),
      retryInterval: RETRY_INTERVAL_MS,
      onsessioninitialized: (sessionId) => void sessions.set(sessionId, { server, transport }),
      onsessionclosed: (sessionId) => void closeSession(sessionId),
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
    if (!transport.sessionId || !sessions.has(transport.sessionId)) await server.close().catch(() => {});
  });
  const existing = async (req: Request, res: Response) => {
    const id = req.header('mcp-session-id');
    if (!id) return jsonRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    const hosted = sessions.get(id);
    if (!hosted) return jsonRpcError(res, 404, -32001, 'Session not found');
    await hosted.transport.handleRequest(req, res);
  };
  app.get('/mcp', existing);
  app.delete('/mcp', existing);

  const http = createServer(app);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/mcp`,
    port,
    get sessions() {
      return sessions.size;
    },
    close: async () => {
      await Promise.all([...sessions.keys()].map((id) => closeSession(id)));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
