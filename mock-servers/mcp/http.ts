import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import { challengeFor, presents, type MockCredential } from './credential.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { isLegacyRequest, type McpHttpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler, toWebRequest, type NodeMcpRequestHandler } from '@modelcontextprotocol/node';
import { MockCatalog } from './catalog.js';
import { createModernHandler } from './modern.js';
import { MockSession } from './session.js';
import type { MockEra, MockFailingMode, MockMcpServer, MockMcpServerOptions, MockMcpSpec, MockPrompt, MockResource, MockTool } from './types.js';

const STREAMABLE_PATH = '/mcp';
const SSE_PATH = '/sse';
const SSE_MESSAGES_PATH = '/messages';
/** Big tool arguments must reach the tool: express.json() defaults to 100 kB. */
const jsonBody = express.json({ limit: '10mb' });

interface HostedSession {
  session: MockSession;
  /** Streamable HTTP only; SSE sessions route POSTs through `sse`. */
  streamable?: StreamableHTTPServerTransport;
  sse?: SSEServerTransport;
}

function jsonRpcError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/** An initialize request alone or inside a JSON-RPC batch. */
function carriesInitialize(body: unknown): boolean {
  return Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
}

function isMethod(body: unknown, method: string): boolean {
  return typeof body === 'object' && body !== null && (body as { method?: unknown }).method === method;
}

/** Calls `onOpen` once the response starts a 200 stream (the SDK writes the head itself). */
function onStreamHead(res: ServerResponse, onOpen: () => void): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    const out = (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    if (this.statusCode === 200) onOpen();
    return out;
  } as ServerResponse['writeHead'];
}

class HttpMockMcpServer implements MockMcpServer {
  private readonly catalog: MockCatalog;
  private readonly app = express();
  private readonly hosted = new Map<string, HostedSession>();
  private readonly host: string;
  private listener: HttpServer | undefined;
  private failing: MockFailingMode = 'none';
  private readonly era: MockEra;
  /** The SDK v2 handler for 2026 requests (modern and dual-era mocks). */
  private modern: { handler: McpHttpHandler; node: NodeMcpRequestHandler } | undefined;
  private readonly methodCounts = new Map<string, number>();
  private readonly authorizations: string[] = [];
  private credential: MockCredential | undefined;
  private readonly received: string[] = [];
  private refusedCount = 0;
  port: number;

  constructor(
    spec: MockMcpSpec,
    private readonly options: MockMcpServerOptions,
  ) {
    this.catalog = new MockCatalog(spec, { recordCalls: options.recordCalls });
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? 0;
    this.era = options.era ?? 'legacy';
    this.credential = options.credential;
    if (this.era !== 'legacy' && options.transport === 'sse') throw new Error('a mock served over legacy HTTP+SSE speaks the 2025 era only');
    if (this.era !== 'legacy') {
      const handler = createModernHandler(this.catalog);
      this.modern = { handler, node: toNodeHandler(handler) };
    }
    this.app.disable('x-powered-by');
    this.app.use((req, _res, next) => {
      if (req.headers.authorization !== undefined) this.authorizations.push(req.headers.authorization);
      next();
    });
    this.app.use((req, res, next) => {
      this.received.push(req.originalUrl);
      if (this.credential && !presents(req, this.credential)) {
        this.refusedCount++;
        res.status(401).set('WWW-Authenticate', challengeFor(this.credential)).json({ error: 'unauthorized' });
        return;
      }
      next();
    });
    this.app.use((req, res, next) => {
      if (this.failing === 'http500' && req.method === 'POST') {
        res.status(500).type('text/plain').send('mock upstream failure');
        return;
      }
      next();
    });
    if (options.transport === 'streamable-http') this.routeStreamableHttp();
    else this.routeSse();
  }

  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${host}:${this.port}${this.options.transport === 'sse' ? SSE_PATH : STREAMABLE_PATH}`;
  }

  addTool(tool: MockTool): void {
    this.catalog.addTool(tool);
  }
  removeTool(name: string): void {
    this.catalog.removeTool(name);
  }
  addPrompt(prompt: MockPrompt): void {
    this.catalog.addPrompt(prompt);
  }
  removePrompt(name: string): void {
    this.catalog.removePrompt(name);
  }
  addResource(resource: MockResource): void {
    this.catalog.addResource(resource);
  }
  removeResource(uri: string): void {
    this.catalog.removeResource(uri);
  }
  calls(): ReturnType<MockMcpServer['calls']> {
    return this.catalog.calls();
  }
  cancelled(): string[] {
    return this.catalog.cancelled();
  }
  authorizationHeaders(): string[] {
    return [...this.authorizations];
  }
  sessions(): number {
    return this.hosted.size;
  }
  setFailing(mode: MockFailingMode): void {
    this.failing = mode;
  }
  setCredential(credential: MockCredential | undefined): void {
    this.credential = credential;
  }
  requestUrls(): string[] {
    return [...this.received];
  }
  refused(): number {
    return this.refusedCount;
  }
  discoverProbes(): number {
    return this.methodCounts.get('server/discover') ?? 0;
  }
  requestCounts(): Record<string, number> {
    return Object.fromEntries(this.methodCounts);
  }

  async start(): Promise<void> {
    if (this.listener) return;
    const listener = createServer(this.app);
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(this.port, this.host, () => {
        listener.off('error', reject);
        resolve();
      });
    });
    this.port = (listener.address() as AddressInfo).port;
    this.listener = listener;
  }

  async stop(): Promise<void> {
    const listener = this.listener;
    if (!listener) return;
    this.listener = undefined;
    const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
    // A crash, not a shutdown: clients see their connections reset, not a goodbye.
    listener.closeAllConnections();
    const sessions = [...this.hosted.values()];
    this.hosted.clear();
    await Promise.all(sessions.map(({ session }) => session.close()));
    await closed;
  }

  private count(body: unknown): void {
    for (const message of Array.isArray(body) ? body : [body]) {
      const method = (message as { method?: unknown } | null)?.method;
      if (typeof method === 'string') this.methodCounts.set(method, (this.methodCounts.get(method) ?? 0) + 1);
    }
  }

  private hostSession(hosted: HostedSession, id: string): void {
    this.hosted.set(id, hosted);
    hosted.session.onclose = () => {
      if (this.hosted.get(id) === hosted) this.hosted.delete(id);
    };
  }

  private routeStreamableHttp(): void {
    const lookup = (req: Request, res: Response): HostedSession | undefined => {
      const id = req.header('mcp-session-id');
      if (!id) {
        jsonRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
        return undefined;
      }
      const hosted = this.hosted.get(id);
      // Streamable HTTP, Session Management: an unknown or expired session answers 404.
      if (!hosted) jsonRpcError(res, 404, -32001, 'Session not found');
      return hosted;
    };

    this.app.post(STREAMABLE_PATH, jsonBody, async (req, res) => {
      this.count(req.body);
      if (this.failing === 'hang-initialize' && (carriesInitialize(req.body) || isMethod(req.body, 'server/discover'))) return; // never answered
      if (await this.servesModern(req)) {
        await this.modern?.node(req, res, req.body);
        return;
      }
      if (req.header('mcp-session-id')) {
        const hosted = lookup(req, res);
        if (hosted) await hosted.streamable?.handleRequest(req, res, req.body);
        return;
      }
      if (!carriesInitialize(req.body)) {
        jsonRpcError(res, 400, -32000, 'Bad Request: no session; send initialize first');
        return;
      }
      const session = new MockSession(this.catalog, false);
      const hosted: HostedSession = { session };
      hosted.streamable = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (id) => this.hostSession(hosted, id),
      });
      await session.connect(hosted.streamable);
      await hosted.streamable.handleRequest(req, res, req.body);
    });

    this.app.get(STREAMABLE_PATH, async (req, res) => {
      if (this.era === 'modern') {
        await this.modern?.node(req, res);
        return;
      }
      const hosted = lookup(req, res);
      if (!hosted) return;
      onStreamHead(res, () => {
        hosted.session.notificationStreamOpened(res);
        res.once('close', () => hosted.session.notificationStreamClosed(res));
      });
      await hosted.streamable?.handleRequest(req, res);
    });

    this.app.delete(STREAMABLE_PATH, async (req, res) => {
      if (this.era === 'modern') {
        await this.modern?.node(req, res);
        return;
      }
      const hosted = lookup(req, res);
      if (hosted) await hosted.streamable?.handleRequest(req, res);
    });
  }

  /**
   * Which server answers a POST. Modern-only: all of them (the SDK's handler refuses 2025 requests,
   * `initialize` with HTTP 400 and -32022, MCP 2026-07-28 basic/versioning). Dual-era: the SDK's own
   * classification; 2025 requests get the sessionful SDK v1 server, with its GET stream and
   * server-to-client requests.
   */
  private async servesModern(req: Request): Promise<boolean> {
    if (this.era === 'legacy') return false;
    if (this.era === 'modern') return true;
    return !(await isLegacyRequest(await toWebRequest(req, req.body), req.body));
  }

  private routeSse(): void {
    this.app.get(SSE_PATH, async (_req, res) => {
      const session = new MockSession(this.catalog, true);
      const sse = new SSEServerTransport(SSE_MESSAGES_PATH, res);
      this.hostSession({ session, sse }, sse.sessionId);
      await session.connect(sse); // starts the stream and sends the `endpoint` event
    });

    // A Streamable HTTP client POSTs its initialize to the URL it was given; 405 tells its
    // fallback (transports, Backwards Compatibility) to try the legacy GET /sse instead.
    this.app.post(SSE_PATH, (_req, res) => {
      res.status(405).set('Allow', 'GET').type('text/plain').send('Method Not Allowed: this server speaks HTTP+SSE (2024-11-05) only');
    });

    this.app.post(SSE_MESSAGES_PATH, jsonBody, async (req, res) => {
      this.count(req.body);
      const id = typeof req.query.sessionId === 'string' ? req.query.sessionId : '';
      const hosted = this.hosted.get(id);
      if (!hosted?.sse) {
        res.status(404).type('text/plain').send('Session not found');
        return;
      }
      if (this.failing === 'hang-initialize' && carriesInitialize(req.body)) {
        // Accepted but dropped: the answer on the SSE stream never comes.
        res.status(202).type('text/plain').send('Accepted');
        return;
      }
      await hosted.sse.handlePostMessage(req, res, req.body);
    });
  }
}

/** Starts a mock MCP server on loopback; the handle steers and inspects it. */
export async function startMockMcpServer(spec: MockMcpSpec, options: MockMcpServerOptions): Promise<MockMcpServer> {
  const server = new HttpMockMcpServer(spec, options);
  await server.start();
  return server;
}
