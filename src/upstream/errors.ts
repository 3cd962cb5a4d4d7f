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
