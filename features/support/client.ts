import { LOG_LEVEL_META_KEY, Client as ModernClient, StreamableHTTPClientTransport as ModernHttpTransport, type McpSubscription } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, type StdioServerParameters } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
  type CallToolResult,
  type ClientCapabilities,
  type CreateMessageRequest,
  type Progress,
} from '@modelcontextprotocol/sdk/types.js';

/**
 * Which protocol era a test client speaks. `legacy`: MCP 2025-11-25 with a session, through SDK v1 (what most clients
 * in the wild are built on). `modern`: 2026-07-28, stateless, through SDK v2 pinned to that revision.
 */
export type ClientEra = 'legacy' | 'modern';


export interface ClientBehaviour {
  capabilities?: ClientCapabilities;
  /** The text a sampling-capable client answers with. */
  samplingAnswer?: string;
  roots?: { uri: string; name: string }[];
}

/**
 * The SDK client hands one AbortSignal to every fetch of a transport, and undici keeps a listener on it per request
 * until garbage collection: a long scenario would trip MaxListenersExceededWarning on the test client's own signal
 * and hide whether switchboard leaks. Here each request gets its own signal; the shared one has a single listener.
 */
function fetchWithOwnSignals(bearer?: () => string): FetchLike {
  const inFlight = new Set<AbortController>();
  const linked = new WeakSet<AbortSignal>();
  return async (url, init) => {
    const shared = init?.signal;
    if (shared && !linked.has(shared)) {
      linked.add(shared);
      shared.addEventListener('abort', () => {
        for (const controller of inFlight) controller.abort(shared.reason);
      }, { once: true });
    }
    const own = new AbortController();
    if (shared?.aborted) own.abort(shared.reason);
    inFlight.add(own);
    const done = () => void inFlight.delete(own);
    try {
      // A bearer token read per request, so a token the user refreshed goes with the next request.
      const headers = bearer ? { ...Object.fromEntries(new Headers(init?.headers)), authorization: `Bearer ${bearer()}` } : init?.headers;
      const response = await fetch(url, { ...init, headers, signal: own.signal });
      if (!response.body) {
        done();
        return response;
      }
      // Streams (SSE) stay abortable until they end.
      const body = response.body.pipeThrough(new TransformStream({ flush: done }));
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    } catch (error) {
      done();
      throw error;
    }
  };
}

interface CallOptions {
  onprogress?: (progress: Progress) => void;
  signal?: AbortSignal;
}

/** A real MCP client session against switchboard (over Streamable HTTP or stdio) that records what it is told. */
export class TestClient {
  /** `at`: performance.now() when it arrived, to time what it answers. */
  readonly notifications: { method: string; params?: Record<string, unknown>; at: number }[] = [];
  readonly samplingRequests: CreateMessageRequest['params'][] = [];
  readonly elicitationRequests: { mode?: string; message?: string; url?: string; elicitationId?: string }[] = [];
  /** Progress notifications of calls made with callFollowingProgress, in arrival order. */
  readonly progress: Progress[] = [];
  /** Errors the client's transport reported, e.g. lines on a stdio server's stdout that are not JSON-RPC. */
  readonly transportErrors: Error[] = [];
  lastResult: CallToolResult | undefined;
  lastError: Error | undefined;
  /** 2026-07-28: the log level named on each call; undefined names none. */
  logLevel: string | undefined = 'debug';
  /** The session id switchboard gave this client (HTTP only); kept after the session ends. */
  openedSessionId: string | undefined;

  /** The listen stream of a modern client (2026-07-28 subscriptions/listen), over which it hears of changes. */
  private subscription: McpSubscription | undefined;

  private constructor(
    readonly client: Client | ModernClient,
    readonly transport: Transport | ModernHttpTransport,
    readonly behaviour: ClientBehaviour,
    private readonly readStderr: () => string,
  ) {}

  /** What a server launched over stdio wrote to its stderr. */
  get serverStderr(): string {
    return this.readStderr();
  }

  /** Opens a session on switchboard's HTTP endpoint (a legacy client), or starts talking to it (a modern one). */
  /** `bearer`: the token of a user signed in at switchboard's front door, read for every request. */
  static async connect(url: string, behaviour: ClientBehaviour = {}, headers: Record<string, string>, era: ClientEra, bearer?: () => string): Promise<TestClient> {
    if (era === 'modern') return TestClient.openModern(url, behaviour, headers, bearer);
    return TestClient.open(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers }, fetch: fetchWithOwnSignals(bearer) }), behaviour);
  }

  /** Launches a server as a child process and talks to it over its stdin and stdout, as IDEs do. */
  static async launch(server: StdioServerParameters, behaviour: ClientBehaviour = {}): Promise<TestClient> {
    const transport = new StdioClientTransport({ ...server, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    return TestClient.open(transport, behaviour, () => stderr);
  }

  private static async open(transport: Transport, behaviour: ClientBehaviour, readStderr: () => string = () => ''): Promise<TestClient> {
    const client = new Client({ name: 'bdd-client', version: '1.0.0' }, { capabilities: behaviour.capabilities ?? {} });
    const test = new TestClient(client, transport, behaviour, readStderr);
    client.onerror = (error) => void test.transportErrors.push(error);
    const record = (method: string) => (notification: { params?: Record<string, unknown> }) => {
      test.notifications.push({ method, params: notification.params, at: performance.now() });
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, record('notifications/tools/list_changed'));
    client.setNotificationHandler(PromptListChangedNotificationSchema, record('notifications/prompts/list_changed'));
    client.setNotificationHandler(ResourceListChangedNotificationSchema, record('notifications/resources/list_changed'));
    client.setNotificationHandler(LoggingMessageNotificationSchema, record('notifications/message'));
    if (behaviour.capabilities?.sampling) {
      client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
        test.samplingRequests.push(request.params);
        return { role: 'assistant', model: 'bdd-model', content: { type: 'text', text: behaviour.samplingAnswer ?? 'sampled' } };
      });
    }
    if (behaviour.capabilities?.elicitation) {
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        test.elicitationRequests.push(request.params as TestClient['elicitationRequests'][number]);
        return request.params.mode === 'url' ? { action: 'accept' } : { action: 'accept', content: { answer: 'forty-two' } };
      });
    }
    if (behaviour.capabilities?.roots) {
      client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: behaviour.roots ?? [] }));
    }
    await client.connect(transport);
    test.openedSessionId = transport.sessionId;
    return test;
  }

  /**
   * A 2026-07-28 client: no handshake (the era is pinned, so a server that cannot speak it fails here), answers to
   * input-required results through its request handlers, and a listen stream for list changes.
   */
  private static async openModern(url: string, behaviour: ClientBehaviour, headers: Record<string, string>, bearer?: () => string): Promise<TestClient> {
    const client = new ModernClient({ name: 'bdd-client', version: '1.0.0' }, {
      capabilities: (behaviour.capabilities ?? {}) as ConstructorParameters<typeof ModernClient>[1] extends { capabilities?: infer C } ? C : never,
      versionNegotiation: { mode: { pin: '2026-07-28' } },
    });
    const transport = new ModernHttpTransport(new URL(url), { requestInit: { headers }, fetch: fetchWithOwnSignals(bearer) });
    const test = new TestClient(client, transport, behaviour, () => '');
    client.onerror = (error) => void test.transportErrors.push(error);
    const record = (method: string) => (notification: { params?: Record<string, unknown> }) => {
      test.notifications.push({ method, params: notification.params, at: performance.now() });
    };
    client.setNotificationHandler('notifications/tools/list_changed', record('notifications/tools/list_changed'));
    client.setNotificationHandler('notifications/prompts/list_changed', record('notifications/prompts/list_changed'));
    client.setNotificationHandler('notifications/resources/list_changed', record('notifications/resources/list_changed'));
    client.setNotificationHandler('notifications/message', record('notifications/message'));
    if (behaviour.capabilities?.sampling) {
      client.setRequestHandler('sampling/createMessage', async (request) => {
        test.samplingRequests.push(request.params as CreateMessageRequest['params']);
        return { role: 'assistant', model: 'bdd-model', content: { type: 'text', text: behaviour.samplingAnswer ?? 'sampled' } };
      });
    }
    if (behaviour.capabilities?.elicitation) {
      client.setRequestHandler('elicitation/create', async (request) => {
        test.elicitationRequests.push(request.params as TestClient['elicitationRequests'][number]);
        return request.params.mode === 'url' ? { action: 'accept' } : { action: 'accept', content: { answer: 'forty-two' } };
      });
    }
    if (behaviour.capabilities?.roots) {
      client.setRequestHandler('roots/list', async () => ({ roots: behaviour.roots ?? [] }));
    }
    await client.connect(transport);
    // 2026-07-28: no handshake and no session; a pinned client that connected is modern, checked here once.
    if (client.getProtocolEra() !== 'modern' || transport.sessionId !== undefined) throw new Error('switchboard did not serve the client as 2026-07-28');
    test.subscription = await client.listen({ toolsListChanged: true, promptsListChanged: true, resourcesListChanged: true });
    return test;
  }

  /** The SDK v1 client, for what only a 2025-11-25 session has (e.g. notifications/elicitation/complete). */
  get legacyClient(): Client {
    if (this.client instanceof ModernClient) throw new Error('a 2026-07-28 client has no session-bound notifications; this step is for legacy clients');
    return this.client;
  }

  get era(): ClientEra {
    return this.client instanceof ModernClient ? 'modern' : 'legacy';
  }

  get sessionId(): string | undefined {
    return this.transport.sessionId;
  }

  count(method: string): number {
    return this.notifications.filter((n) => n.method === method).length;
  }

  /** Forgets the notifications received so far, so later checks see only what follows. */
  forgetNotifications(): void {
    this.notifications.length = 0;
  }

  async toolNames(): Promise<string[]> {
    return (await this.client.listTools()).tools.map((t) => t.name);
  }

  /** Calls a tool and keeps the result or the protocol error for later steps. */
  async call(name: string, args: Record<string, unknown> = {}, options: CallOptions = {}): Promise<void> {
    this.lastResult = undefined;
    this.lastError = undefined;
    try {
      const requestOptions = { ...options, timeout: 60_000 };
      // A 2026-07-28 client names the log level it wants on each request (server/utilities/logging); without one it
      // gets no log messages. This one wants them all, as a 2025 client that set no level gets them.
      const meta = this.logLevel === undefined ? undefined : { [LOG_LEVEL_META_KEY]: this.logLevel };
      this.lastResult = (this.client instanceof ModernClient
        ? await this.client.callTool({ name, arguments: args, ...(meta && { _meta: meta }) }, requestOptions)
        : await this.client.callTool({ name, arguments: args }, undefined, requestOptions)) as CallToolResult;
    } catch (error) {
      this.lastError = error as Error;
    }
  }

  async callFollowingProgress(name: string, args: Record<string, unknown> = {}): Promise<void> {
    await this.call(name, args, { onprogress: (progress) => void this.progress.push(progress) });
  }

  resultText(): string {
    if (!this.lastResult) throw new Error(`no result; the call failed with: ${this.lastError?.message}`);
    return this.lastResult.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
  }

  /** Ends the session the way a client does (HTTP DELETE). */
  async endSession(): Promise<void> {
    if (!(this.transport instanceof StreamableHTTPClientTransport)) throw new Error('only an HTTP session can be ended');
    await this.transport.terminateSession();
  }

  async close(): Promise<void> {
    await this.subscription?.close().catch(() => {});
    if (this.transport instanceof StreamableHTTPClientTransport) await this.transport.terminateSession().catch(() => {});
    await this.client.close().catch(() => {});
  }
}
