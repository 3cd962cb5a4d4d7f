import type { MockCredential } from './credential.js';

/**
 * What a test says about the mock MCP server it wants: which tools, prompts and resources it
 * offers. Behaviour is chosen by tool name (see tools.ts), so a spec can be just a list of names.
 */
export interface MockMcpSpec {
  /** Server name in `serverInfo`; also what `whoami` answers. */
  name: string;
  /** Default: `[{ name: 'echo' }]`. An empty list means no tools. */
  tools?: MockTool[];
  /** `prompts/get` answers one user message `prompt <name> from <server> args <json>`. */
  prompts?: MockPrompt[];
  resources?: MockResource[];
  /** Reading a URI that matches a template (RFC 6570) answers `<server>:<uri>`. */
  resourceTemplates?: MockResourceTemplate[];
  /** Every list request (tools, prompts, resources, templates) answers after this long. */
  listDelayMs?: number;
  /**
   * Send `notifications/tools/list_changed` as soon as a 2025 session is initialized, while the
   * client is still listing, as the reference server (server-everything) does.
   */
  toolsChangedOnInitialized?: boolean;
  /**
   * stdio, 2025 era: exit on any request before `initialize` other than `initialize`, as servers
   * built on the Rust SDK (rmcp) do when a 2026 client probes them with `server/discover`.
   */
  exitOnEarlyRequest?: boolean;
}

export interface MockTool {
  name: string;
  description?: string;
  /** Wait this long before running; the wait stops if the client cancels. */
  delayMs?: number;
  /** Answer a tool-level failure (`isError: true`) instead of running the behaviour. */
  fail?: boolean;
  /** Overrides the built-in JSON Schema, for tests of schema pass-through. */
  inputSchema?: { type: 'object'; [key: string]: unknown };
  /** Listed as it is (e.g. `{ taskSupport: 'optional' }`); the mock itself runs every call as a plain request. */
  execution?: { taskSupport?: 'forbidden' | 'optional' | 'required' };
}

export interface MockPrompt {
  name: string;
  description?: string;
  arguments?: { name: string; description?: string; required?: boolean }[];
}

export interface MockResource {
  uri: string;
  name: string;
  mimeType?: string;
  text: string;
}

export interface MockResourceTemplate {
  uriTemplate: string;
  name: string;
}

export interface MockCall {
  tool: string;
  args: unknown;
  /** The MCP session the call arrived on (HTTP transports only). */
  session?: string;
}

export type MockTransportKind = 'streamable-http' | 'sse';

/**
 * Which MCP era the mock speaks. legacy: 2025-11-25 with sessions (SDK v1). modern: 2026-07-28 only
 * (SDK v2 `createMcpHandler`); `initialize` is refused. both: 2026 requests as modern, 2025
 * requests with sessions as legacy.
 */
export type MockEra = 'legacy' | 'modern' | 'both';

export type MockFailingMode = 'none' | 'http500' | 'hang-initialize';

export interface MockMcpServerOptions {
  transport: MockTransportKind;
  /** Default `legacy`. Legacy HTTP+SSE (`transport: 'sse'`) is 2025 only. */
  era?: MockEra;
  /** Default 0 (a free port); `start()` after `stop()` reuses the port actually bound. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /**
   * Record every call for `calls()`. Default true. Benchmarks turn it off so the echo path
   * allocates nothing beyond what the SDK does and memory stays flat over long runs.
   */
  recordCalls?: boolean;
  /** Demand this credential of every HTTP request (401 otherwise); changed later with `setCredential`. */
  credential?: MockCredential;
}

/** The handle a test holds to steer a running mock. */
export interface MockMcpServer {
  /** `http://HOST:PORT/mcp` (streamable-http) or `http://HOST:PORT/sse` (sse). */
  readonly url: string;
  readonly port: number;
  /** Each add/remove sends the matching `notifications/<kind>/list_changed` to every session. */
  addTool(tool: MockTool): void;
  removeTool(name: string): void;
  addPrompt(prompt: MockPrompt): void;
  removePrompt(name: string): void;
  addResource(resource: MockResource): void;
  removeResource(uri: string): void;
  /** Recorded tool calls, oldest first (a copy). */
  calls(): MockCall[];
  /** Names of tools whose calls the client cancelled (`notifications/cancelled`). */
  cancelled(): string[];
  /** Sessions currently connected. */
  sessions(): number;
  /** Crash: close the listener and every open connection at once; sessions are lost. */
  stop(): Promise<void>;
  /** Come back on the same port. */
  start(): Promise<void>;
  /** How many `server/discover` requests reached the mock (2026 era probes). */
  discoverProbes(): number;
  /** The Authorization header of every HTTP request that carried one, in arrival order (raw: tests compare tokens). */
  authorizationHeaders(): string[];
  /** How many JSON-RPC requests and notifications of each method reached the mock over HTTP POST. */
  requestCounts(): Record<string, number>;
  /** Simulate a broken upstream: every POST answers 500, or the handshake (`initialize`, `server/discover`) never answers. */
  setFailing(mode: MockFailingMode): void;
  /** Demand another credential from now on (undefined: none), as when an operator rotates an API key. */
  setCredential(credential: MockCredential | undefined): void;
  /** The path and query of every HTTP request received, oldest first (API keys in the query included). */
  requestUrls(): string[];
  /** How many requests were refused for a missing or wrong credential. */
  refused(): number;
}
