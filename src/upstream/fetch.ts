/**
 * The fetch every HTTP upstream connection goes through. It exists for three reasons:
 * - The SDK hands one shared AbortSignal to every request of a transport; undici adds a listener to it per request
 *   and frees it late, so a long-lived connection piles up listeners (MaxListenersExceededWarning, growing memory).
 *   Here each request gets its own AbortController, and the shared signal gets one listener per transport.
 * - Static headers and credentials are added only for requests to the MCP server's own origin: the SDK also sends
 *   `requestInit` headers to authorization servers, which must never see upstream secrets.
 * - Credentials come from the auth layer per request. A 401/403 is offered to it first: when it can get new credentials
 *   (a refresh, or a token from a sign-in at the same issuer) the request is sent once more; otherwise the answer is
 *   reported with its WWW-Authenticate challenge, so the connection can mark the server as needing sign-in.
 */
export interface UpstreamFetchOptions {
  /** Origin of the MCP endpoint; only requests to it get headers and credentials. */
  origin: string;
  staticHeaders: Record<string, string>;
  credentials?: UpstreamCredentials;
  onAuthChallenge?: (challenge: AuthChallenge) => void;
}

/** What the auth layer offers an upstream connection. */
export interface UpstreamCredentials {
  /** Headers for the next request (e.g. `authorization`), or undefined when there is nothing to send. */
  headers(): Promise<Record<string, string> | undefined>;
  /** The server refused with 401/403. Resolves true when new credentials are ready and the request may be sent again. */
  rejected(challenge: AuthChallenge, sent: Record<string, string> | undefined): Promise<boolean>;
  /** Which sign-in state a refusal puts the server in: reauth_required when an earlier sign-in was revoked. */
  authState(): 'auth_required' | 'reauth_required';
}

export interface AuthChallenge {
  status: 401 | 403;
  wwwAuthenticate: string | null;
}

export interface UpstreamFetch {
  fetch: typeof fetch;
  /** Aborts the standalone GET stream and requests still waiting for their answer (used when the connection closes). */
  abortAll(): void;
}

export function createUpstreamFetch(options: UpstreamFetchOptions): UpstreamFetch {
  const inFlight = new Set<AbortController>();
  const watchedSignals = new WeakSet<AbortSignal>();
  const abortAll = () => {
    for (const controller of inFlight) controller.abort();
    inFlight.clear();
  };

  const upstreamFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input);
    const shared = init?.signal;
    if (shared && !watchedSignals.has(shared)) {
      watchedSignals.add(shared);
      shared.addEventListener('abort', abortAll, { once: true });
    }
    const controller = new AbortController();
    if (shared?.aborted) controller.abort();
    const ownOrigin = url.origin === options.origin;
    const send = async () => {
      const headers = new Headers(init?.headers);
      let sent: Record<string, string> | undefined;
      if (ownOrigin) {
        for (const [name, value] of Object.entries(options.staticHeaders)) headers.set(name, value);
        sent = await options.credentials?.headers();
        if (sent) for (const [name, value] of Object.entries(sent)) headers.set(name, value);
      }
      return { response: await fetch(url, { ...init, headers, signal: controller.signal }), sent };
    };
    inFlight.add(controller);
    let response: Response;
    try {
      let attempt = await send();
      if (ownOrigin && isAuthFailure(attempt.response) && options.credentials) {
        const challenge = { status: attempt.response.status as 401 | 403, wwwAuthenticate: attempt.response.headers.get('www-authenticate') };
        if (await options.credentials.rejected(challenge, attempt.sent)) {
          await attempt.response.body?.cancel().catch(() => {});
          attempt = await send();
        }
      }
      response = attempt.response;
    } catch (error) {
      inFlight.delete(controller);
      throw error;
    }
    if (ownOrigin && isAuthFailure(response)) {
      options.onAuthChallenge?.({ status: response.status as 401 | 403, wwwAuthenticate: response.headers.get('www-authenticate') });
    }
    // Only the GET stream lives as long as the connection and must be cut on close. A POST's answer ends with its
    // response (or its cancellation); wrapping every one to watch for its end cost more CPU than the rest of the relay.
    if (init?.method !== 'GET' || !response.headers.get('content-type')?.includes('text/event-stream')) inFlight.delete(controller);
    return response;
  };

  return { fetch: upstreamFetch as typeof fetch, abortAll };
}

/** 401, or 403 with an RFC 6750 §3.1 insufficient_scope challenge; other 403s are not about sign-in. */
function isAuthFailure(response: Response): boolean {
  return response.status === 401 || (response.status === 403 && /insufficient_scope/.test(response.headers.get('www-authenticate') ?? ''));
}
