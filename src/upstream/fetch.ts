/**
 * The fetch every HTTP upstream connection goes through. It exists for three reasons:
 * - The SDK hands one shared AbortSignal to every request of a transport; undici adds a listener to it per request
 *   and frees it late, so a long-lived connection piles up listeners (MaxListenersExceededWarning, growing memory).
 *   Here each request gets its own AbortController, and the shared signal gets one listener per transport.
 * - Static headers and credentials are added only for requests to the MCP server's own origin: the SDK also sends
 *   `requestInit` headers to authorization servers, which must never see upstream secrets.
 * - 401/403 answers are reported (with their WWW-Authenticate challenge) so the connection can mark the server
 *   as needing sign-in instead of failed.
 */
export interface UpstreamFetchOptions {
  /** Origin of the MCP endpoint; only requests to it get headers and credentials. */
  origin: string;
  staticHeaders: Record<string, string>;
  /** Credentials for this request, e.g. `{ authorization: 'Bearer …' }`; resolved per request so refreshes apply. */
  credentials?: () => Promise<Record<string, string> | undefined>;
  onAuthChallenge?: (challenge: AuthChallenge) => void;
}

export interface AuthChallenge {
  status: 401 | 403;
  wwwAuthenticate: string | null;
}

export interface UpstreamFetch {
  fetch: typeof fetch;
  /** Aborts every request still in flight (used when the connection closes). */
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
    const headers = new Headers(init?.headers);
    if (url.origin === options.origin) {
      for (const [name, value] of Object.entries(options.staticHeaders)) headers.set(name, value);
      const credentials = await options.credentials?.();
      if (credentials) for (const [name, value] of Object.entries(credentials)) headers.set(name, value);
    }
    inFlight.add(controller);
    let response: Response;
    try {
      response = await fetch(url, { ...init, headers, signal: controller.signal });
    } catch (error) {
      inFlight.delete(controller);
      throw error;
    }
    if (url.origin === options.origin && (response.status === 401 || response.status === 403)) {
      options.onAuthChallenge?.({ status: response.status, wwwAuthenticate: response.headers.get('www-authenticate') });
    }
    // A JSON answer is read at once by the SDK; only event streams stay open and need aborting on close.
    if (!response.headers.get('content-type')?.includes('text/event-stream') || !response.body) {
      inFlight.delete(controller);
      return response;
    }
    const body = response.body.pipeThrough(new TransformStream({ flush: () => void inFlight.delete(controller) }));
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };

  return { fetch: upstreamFetch as typeof fetch, abortAll };
}
