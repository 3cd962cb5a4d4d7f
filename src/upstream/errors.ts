import type { UpstreamState } from './state.js';

/** A request for a server whose connection is not usable right now. */
export class UpstreamUnavailableError extends Error {
  override readonly name = 'UpstreamUnavailableError';
  constructor(readonly server: string, readonly state: UpstreamState, readonly detail?: string) {
    super(`server "${server}" is ${state.replace('_', ' ')}${detail ? `: ${detail}` : ''}`);
  }
}

/** The upstream did not answer within the server's timeoutMs. */
export class UpstreamTimeoutError extends Error {
  override readonly name = 'UpstreamTimeoutError';
  constructor(readonly server: string, readonly timeoutMs: number) {
    super(`server "${server}" did not answer within ${timeoutMs} ms`);
  }
}

/** An HTTP upstream answered a request with an error status (404: the upstream session is gone). */
export class UpstreamHttpError extends Error {
  override readonly name = 'UpstreamHttpError';
  constructor(readonly status: number) {
    super(status === 404 ? 'HTTP 404: the upstream session has ended' : `HTTP ${status}`);
  }
}

/** An upstream's answer was not a usable JSON-RPC response. */
export class UpstreamProtocolError extends Error {
  override readonly name = 'UpstreamProtocolError';
}

/**
 * The upstream answered a request with a JSON-RPC error; relayed as it was. The message is the upstream's own text
 * without a code prefix: the downstream server and client each add theirs, so an SDK error class (SDK v1's McpError
 * prefixes `MCP error <code>:`) would show the prefix twice (issue 6).
 */
export class UpstreamRequestError extends Error {
  override readonly name = 'UpstreamRequestError';
  constructor(readonly code: number, message: string, readonly data?: unknown) {
    super(withoutCodePrefix(code, message));
  }
}

/** Servers built on SDK v1 put its `MCP error <code>: ` prefix into the error text they send; the relay adds its own. */
function withoutCodePrefix(code: number, message: string): string {
  const prefix = `MCP error ${code}: `;
  let text = message;
  while (text.startsWith(prefix)) text = text.slice(prefix.length);
  return text;
}

/** The connection closed while the request was in flight. */
export class UpstreamConnectionClosedError extends Error {
  override readonly name = 'UpstreamConnectionClosedError';
  constructor() {
    super('the connection closed');
  }
}
