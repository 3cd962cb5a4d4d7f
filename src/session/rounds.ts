import { createHash } from 'node:crypto';
import type { Request } from '@modelcontextprotocol/server';
import type { Sealer } from '../store/index.js';

/**
 * What a 2026-07-28 requestState of switchboard carries (basic/patterns/mrtr), sealed with the key every replica
 * derives from SWITCHBOARD_SECRET and bound to the principal, so any replica opens it and nobody else can make,
 * change or move one:
 * - `upstream`: a 2026 upstream asked through its own input_required result. Nothing waits anywhere: the state names
 *   the call (server, method, name or URI and arguments, as a digest) and carries the upstream's own requestState, so
 *   any replica finishes the round by retrying the upstream request with the client's answers.
 * - `held`: a 2025 upstream asked with a request of its own during the call, which must be answered on the connection
 *   it came on. The call waits on the replica that holds that connection, named here; another replica forwards the
 *   continuation to it.
 */
export type RoundState =
  | { kind: 'upstream'; call: string; upstreamState?: string; expiresAt: number }
  | { kind: 'held'; replica: string; exchange: string; call: string; expiresAt: number };

/** Seals and opens the request states of one principal. */
export class RoundStates {
  private readonly owner: string;

  constructor(private readonly sealer: Sealer, principal: string) {
    // The principal as additional authenticated data: a state minted for one user does not open for another.
    this.owner = `mrtr request state\u0000${principal}`;
  }

  seal(state: RoundState): string {
    return this.sealer.seal(JSON.stringify(state), this.owner);
  }

  /** Throws for a state that is forged, altered, another principal's or expired; the SDK answers that with -32602. */
  open(sealed: string): RoundState {
    const opened = this.sealer.open(sealed, this.owner);
    const state = opened === undefined ? undefined : (JSON.parse(opened) as RoundState);
    if (!state || !(state.expiresAt >= Date.now())) throw new Error('request state not minted by switchboard for this principal, or expired');
    return state;
  }
}

/**
 * The call a round belongs to, as a digest: a retry must be the same request (basic/patterns/mrtr: the client
 * retries the original request with the answers), so its method, name or URI and arguments must match, and the
 * server for an upstream request (the client's own request to switchboard has none). The arguments are bound, not
 * carried: a state holding megabytes of them would come back in every retry.
 */
export function roundCall(request: Request, server = ''): string {
  const params = request.params ?? {};
  const target = params.name ?? params.uri;
  return createHash('sha256').update(canonicalJson([server, request.method, target, params.arguments ?? {}])).digest('base64url');
}

/** JSON with object keys sorted, so that a client that reorders the keys of its arguments retries the same call. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Not a failure: a 2026 upstream's round ended asking the client (an input_required result), for a 2026-07-28 client
 * that answers it by retrying. Thrown from the view's relay so that it leaves callTool, getPrompt and readResource
 * before their result handling, up to the modern face, which seals it into its requestState.
 */
export class UpstreamInputRound extends Error {
  override readonly name = 'UpstreamInputRound';
  constructor(readonly call: string, readonly inputRequests: Record<string, Request>, readonly upstreamState: string | undefined) {
    super('the upstream asks the client for input');
  }
}
