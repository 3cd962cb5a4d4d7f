/**
 * One-shot (or n-shot) fault injection per endpoint, so a test can script
 * "the next refresh answers invalid_grant" or "registration hangs".
 */

/**
 * Where a failure applies. 'token' covers every grant except refresh_token,
 * which is 'refresh', so a test can break refresh without breaking the first
 * code exchange (and the other way round).
 */
export type FailureEndpoint = 'authorize' | 'token' | 'refresh' | 'register' | 'revoke' | 'introspect' | 'metadata' | 'jwks';

export const FAILURE_ENDPOINTS: readonly FailureEndpoint[] = ['authorize', 'token', 'refresh', 'register', 'revoke', 'introspect', 'metadata', 'jwks'];

/**
 * An error answer, or 'hang': the request is accepted and never answered
 * (until the server closes), to exercise client timeouts.
 *
 * For 'authorize', a 3xx `status` delivers the error the OAuth way, as a
 * redirect to the client's redirect_uri with `error`, `error_description`,
 * `state` and `iss` (RFC 6749 §4.1.2.1); any other status answers directly
 * with that status and a JSON body.
 */
export type InjectedFailure = { status: number; error: string; description?: string } | 'hang';

export interface FailNextOptions {
  /** How many requests fail before the endpoint behaves again. Default 1; `Infinity` for "until cleared". */
  times?: number;
}

interface Pending {
  failure: InjectedFailure;
  remaining: number;
}

export class FailureQueue {
  readonly #pending = new Map<FailureEndpoint, Pending[]>();

  add(endpoint: FailureEndpoint, failure: InjectedFailure, options: FailNextOptions = {}): void {
    if (!FAILURE_ENDPOINTS.includes(endpoint)) throw new TypeError(`unknown failure endpoint: ${String(endpoint)}`);
    const times = options.times ?? 1;
    if (!(times > 0)) throw new RangeError('failNext times must be a positive number');
    const queue = this.#pending.get(endpoint) ?? [];
    queue.push({ failure, remaining: times });
    this.#pending.set(endpoint, queue);
  }

  /** Consumes the next failure queued for `endpoint`, if any. */
  take(endpoint: FailureEndpoint): InjectedFailure | undefined {
    const queue = this.#pending.get(endpoint);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) queue.shift();
    return head.failure;
  }

  clear(endpoint?: FailureEndpoint): void {
    if (endpoint) this.#pending.delete(endpoint);
    else this.#pending.clear();
  }

  pending(): Partial<Record<FailureEndpoint, number>> {
    const counts: Partial<Record<FailureEndpoint, number>> = {};
    for (const [endpoint, queue] of this.#pending) {
      const total = queue.reduce((sum, p) => sum + p.remaining, 0);
      if (total > 0) counts[endpoint] = total;
    }
    return counts;
  }
}
