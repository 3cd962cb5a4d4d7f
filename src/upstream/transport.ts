import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
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
    ? new SSEClientTransport(url, { fetch: upstreamFetch.fetch, eventSourceInit: { fetch: upstreamFetch.fetch } })
    : new StreamableHTTPClientTransport(url, { fetch: upstreamFetch.fetch });
  return { transport, kind, abortAll: upstreamFetch.abortAll, post: upstreamFetch.post };
}

/** The transports to try, in order: a forced one, or Streamable HTTP with a fallback to legacy SSE. */
export function transportCandidates(config: ServerConfig): TransportKind[] {
  if (!isRemote(config)) return ['stdio'];
  return config.transport ? [config.transport] : ['streamable-http', 'sse'];
}

/**
 * MCP 2025-11-25 basic/transports, backwards compatibility: a client falls back to the HTTP+SSE transport when the
 * initialize POST fails with a 4xx such as 404 or 405. 401/403 are auth answers, not a sign of an older server.
 */
export function shouldFallBackToSse(error: unknown): boolean {
  return error instanceof StreamableHTTPError && error.code !== undefined && error.code >= 400 && error.code < 500 && error.code !== 401 && error.code !== 403;
}
