import { SdkError, SdkErrorCode, SdkHttpError, SSEClientTransport, StreamableHTTPClientTransport, type Transport } from '@modelcontextprotocol/client';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';
import { isRemote, type ServerConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { createUpstreamFetch, type UpstreamFetch, type UpstreamFetchOptions } from './fetch.js';

export type TransportKind = 'streamable-http' | 'sse' | 'stdio';

export interface OpenedTransport {
  transport: Transport;
  kind: TransportKind;
  /** Aborts outstanding HTTP requests; a no-op for stdio. */
  abortAll(): void;
  /** POSTs to the MCP endpoint through the same wrapper as the transport's fetch (HTTP transports only). */
  post?: UpstreamFetch['post'];
}

export interface TransportFactoryOptions {
  config: ServerConfig;
  logger: Logger;
  credentials?: UpstreamFetchOptions['credentials'];
  onAuthChallenge?: UpstreamFetchOptions['onAuthChallenge'];
}

/** Builds a fresh transport for one connection attempt. */
export function createTransport(kind: TransportKind, options: TransportFactoryOptions): OpenedTransport {
  const { config } = options;
  if (!isRemote(config)) {
    // Exactly the SDK's StdioClientTransport: its era probe then runs in a throwaway sibling process, so a server
    // that exits on an unknown pre-initialize request does not cost us the session's process (SDK v2
    // docs/protocol-versions.md, "Understand the probe").
    const transport = new StdioClientTransport({
      command: config.command,
      args: config.args,
      env: { ...getDefaultEnvironment(), ...config.env },
      cwd: config.cwd,
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) options.logger.debug({ stderr: line.slice(0, 2000) }, 'upstream stderr');
    });
    shortenExitGrace(transport);
    return { transport, kind, abortAll: () => {} };
  }
  const url = new URL(config.url);
  const upstreamFetch: UpstreamFetch = createUpstreamFetch({
    origin: url.origin,
    endpoint: url,
    staticHeaders: config.headers ?? {},
    credentials: options.credentials,
    onAuthChallenge: options.onAuthChallenge,
  });
  const transport = kind === 'sse'
    ? new SSEClientTransport(url, { fetch: upstreamFetch.fetch, eventSourceInit: { fetch: upstreamFetch.fetch } as EventSourceInit })
    : new StreamableHTTPClientTransport(url, { fetch: upstreamFetch.fetch });
  return { transport, kind, abortAll: upstreamFetch.abortAll, post: upstreamFetch.post };
}

/**
 * MCP 2025-11-25 basic/lifecycle#stdio: the client closes the server's input, waits for it to exit, and sends SIGTERM
 * when it does not exit "within a reasonable time", then SIGKILL. The SDK waits 2 s at each step, and so does the
 * IDE in front of a stdio switchboard: a switchboard waiting 2 s on an upstream that ignores the end of its input
 * would itself be signalled, then killed, leaving that upstream behind. So switchboard waits less than its own client
 * does before it sends SIGTERM; the SDK's SIGKILL stays the last resort.
 */
const STDIO_EXIT_GRACE_MS = 500;

/** On the instance, not in a subclass: the SDK probes in a sibling process only for its own class (see above). */
function shortenExitGrace(transport: StdioClientTransport): void {
  const close = transport.close.bind(transport);
  transport.close = async () => {
    const pid = transport.pid;
    const terminate = pid === null ? undefined : setTimeout(() => {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Exited meanwhile.
      }
    }, STDIO_EXIT_GRACE_MS);
    try {
      await close();
    } finally {
      clearTimeout(terminate);
    }
  };
}

/** The transports to try, in order: a forced one, or Streamable HTTP with a fallback to legacy SSE. */
export function transportCandidates(config: ServerConfig): TransportKind[] {
  if (!isRemote(config)) return ['stdio'];
  return config.transport ? [config.transport] : ['streamable-http', 'sse'];
}

/** MCP 2026-07-28 basic/versioning: "unsupported protocol version", what a 2026-only server answers `initialize` with. */
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;

/**
 * MCP 2025-11-25 basic/transports, backwards compatibility: a client falls back to the HTTP+SSE transport when the
 * initialize POST fails with a 4xx such as 404 or 405. Not on 401/403 (auth answers), and not on a 400 carrying
 * -32022: that is a 2026-only server refusing the 2025 handshake, which must be reached in its own era, not over SSE.
 */
export function shouldFallBackToSse(error: unknown): boolean {
  if (!(error instanceof SdkHttpError)) return false;
  const status = error.status;
  return status >= 400 && status < 500 && status !== 401 && status !== 403 && !refusesLegacyHandshake(error);
}

/** The server answered the 2025 `initialize` with -32022: it speaks 2026-07-28 only. */
export function refusesLegacyHandshake(error: unknown): boolean {
  if (!(error instanceof SdkHttpError) || error.status !== 400) return false;
  return jsonRpcErrorCode(error.data?.text) === UNSUPPORTED_PROTOCOL_VERSION;
}

/**
 * A failure that says the cached era verdict no longer holds, so the next attempt must probe (SDK v2
 * docs/advanced/gateway.md, "Handle a stale or incompatible advertisement"): the SDK refused the prior
 * (EraNegotiationFailed), a 2026-only server refused the 2025 handshake, or a server we took for 2026 answered as
 * a 2025 one (no such method, or a 400 asking for a session). Auth failures (401/403) never count: they are
 * answered before the MCP layer sees the request.
 */
export function saysVerdictIsStale(error: unknown, era: 'modern' | 'legacy'): boolean {
  if (error instanceof SdkError && error.code === SdkErrorCode.EraNegotiationFailed) return true;
  if (era === 'legacy') return refusesLegacyHandshake(error);
  if (error instanceof SdkHttpError) return error.status === 400 || error.status === 404 || error.status === 405;
  return typeof (error as { code?: unknown })?.code === 'number' && (error as { code: number }).code === -32601;
}

function jsonRpcErrorCode(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'number' ? code : undefined;
  } catch {
    return undefined;
  }
}
