import { request, type Dispatcher } from 'undici';

/**
 * The fetch every HTTP upstream connection goes through. It exists for three reasons:
 * - The SDK hands one shared AbortSignal to every request of a transport; undici adds a listener to it per request
 *   and frees it late, so a long-lived connection piles up listeners (MaxListenersExceededWarning, growing memory).
 *   Here each request gets its own AbortController, and the shared signal gets one listener per transport.
 * - Static headers and credentials (headers, or a query key) are added only for requests to the MCP server's own origin:
 *   the SDK also sends `requestInit` headers to authorization servers, which must never see upstream secrets. For the
 *   same reason redirects are followed here, not by fetch: to the same origin with the credentials, to another origin
 *   without them (fetch itself would carry custom headers such as an API key along).
 * - Credentials come from the auth layer per request. A 401/403 is offered to it first: when it can get new credentials
 *   (a refresh, or a token from a sign-in at the same issuer) the request is sent once more; otherwise the answer is
 *   reported with its WWW-Authenticate challenge, so the connection can mark the server as needing sign-in.
 */
export interface UpstreamFetchOptions {
  /** Origin of the MCP endpoint; only requests to it get headers and credentials. */
  origin: string;
  /** The MCP endpoint itself, where `post()` sends. */
  endpoint: URL;
  staticHeaders: Record<string, string>;
  credentials?: UpstreamCredentials;
  onAuthChallenge?: (challenge: AuthChallenge) => void;
}

/**
 * What the auth layer offers an upstream connection: per-principal sign-in (`sign-in`: a refusal asks the person to
 * sign in) or the operator's own credentials (`static`: bearer, basic, headers, a query key, client_credentials; a
 * refusal, 401 or any 403, is a configuration problem and the server becomes `failed`).
 */
export type UpstreamCredentials = SignInCredentials | StaticCredentials;

interface CredentialsHooks {
  /** Whom these credentials speak for, the same across refreshes (era verdicts are kept per identity, verdicts.ts). */
  readonly identity: string;
  /** Headers for the next request (e.g. `authorization`), or undefined when there is nothing to send. */
  headers(): Promise<Record<string, string> | undefined>;
  /**
   * The server refused with 401/403. Resolves true when new credentials are ready and the request may be sent again,
   * false when they cannot help; rejects on a passing failure (the token endpoint or store is unreachable), and
   * the request then fails like a network error instead of asking the person to sign in again.
   */
  rejected(challenge: AuthChallenge, sent: Record<string, string> | undefined): Promise<boolean>;
}

export interface SignInCredentials extends CredentialsHooks {
  readonly kind: 'sign-in';
  /** Which sign-in state a refusal puts the server in: reauth_required when an earlier sign-in was revoked. */
  authState(): 'auth_required' | 'reauth_required';
}

export interface StaticCredentials extends CredentialsHooks {
  readonly kind: 'static';
  /** Query parameters added to every request to the server's own origin (an API key in the URL); never logged. */
  readonly queryParameters?: Readonly<Record<string, string>>;
}

export interface AuthChallenge {
  status: 401 | 403;
  wwwAuthenticate: string | null;
}

/** The answer to a `post()`: undici's, whose body is a Node stream (no web streams, no Response object). */
export type UpstreamPostResponse = Dispatcher.ResponseData;

export interface UpstreamFetch {
  fetch: typeof fetch;
  /**
   * POSTs `body` to the MCP endpoint with undici's `request()`, which costs a fraction of `fetch()` per call (no web
   * streams, Headers or Response objects). Static headers, credentials and the 401 handling are the same as `fetch`'s.
   * The caller owns the answer's body: it must read, dump or destroy it. Redirects are not followed.
   */
  post(headers: Record<string, string>, body: string, signal: AbortSignal): Promise<UpstreamPostResponse>;
  /** Aborts the standalone GET stream and requests still waiting for their answer (used when the connection closes). */
  abortAll(): void;
}

/** How the credentials logic reads an answer of either HTTP client. */
interface AnswerView<R> {
  status(response: R): number;
  wwwAuthenticate(response: R): string | null;
  discard(response: R): Promise<void>;
}

const fetchView: AnswerView<Response> = {
  status: (response) => response.status,
  wwwAuthenticate: (response) => response.headers.get('www-authenticate'),
  discard: async (response) => {
    await response.body?.cancel().catch(() => {});
  },
};

const postView: AnswerView<UpstreamPostResponse> = {
  status: (response) => response.statusCode,
  wwwAuthenticate: (response) => headerValue(response.headers['www-authenticate']),
  discard: async (response) => {
    await response.body.dump().catch(() => {});
  },
};

export function createUpstreamFetch(options: UpstreamFetchOptions): UpstreamFetch {
  const inFlight = new Set<AbortController>();
  const watchedSignals = new WeakSet<AbortSignal>();
  const abortAll = () => {
    for (const controller of inFlight) controller.abort();
    inFlight.clear();
  };
  const credentialsKind = options.credentials?.kind ?? 'sign-in';
  const queryParameters = options.credentials?.kind === 'static' ? options.credentials.queryParameters : undefined;
  const endpoint = withQuery(options.endpoint, queryParameters);
  // Lower-cased once: a plain header object sends "Authorization" and "authorization" as two headers.
  const staticHeaders = lowerCaseKeys(options.staticHeaders);
  const refused = (response: { status: number; wwwAuthenticate: string | null }) => isAuthFailure(response.status, response.wwwAuthenticate, credentialsKind);

  /**
   * Sends a request to the server's own origin with its credentials. A 401/403 goes to the auth layer, which may
   * provide new credentials for one more attempt; a refusal that remains is reported as the server's challenge.
   */
  const withCredentials = async <R>(send: (credentials: Record<string, string> | undefined) => Promise<R>, view: AnswerView<R>): Promise<R> => {
    const credentials = options.credentials;
    let sent = await credentials?.headers();
    let response = await send(sent);
    if (credentials && refused({ status: view.status(response), wwwAuthenticate: view.wwwAuthenticate(response) })) {
      const challenge = { status: view.status(response) as 401 | 403, wwwAuthenticate: view.wwwAuthenticate(response) };
      let retry: boolean;
      try {
        retry = await credentials.rejected(challenge, sent);
      } catch (error) {
        await view.discard(response);
        throw error;
      }
      if (retry) {
        await view.discard(response);
        sent = await credentials.headers();
        response = await send(sent);
      }
    }
    if (refused({ status: view.status(response), wwwAuthenticate: view.wwwAuthenticate(response) })) {
      options.onAuthChallenge?.({ status: view.status(response) as 401 | 403, wwwAuthenticate: view.wwwAuthenticate(response) });
    }
    return response;
  };

  const upstreamFetch = async (input: string | URL | Request, init?: RequestInit, hops = 0): Promise<Response> => {
    const requested = new URL(input instanceof Request ? input.url : input);
    const shared = init?.signal;
    if (shared && !watchedSignals.has(shared)) {
      watchedSignals.add(shared);
      shared.addEventListener('abort', abortAll, { once: true });
    }
    const controller = new AbortController();
    if (shared?.aborted) controller.abort();
    const ownOrigin = requested.origin === options.origin;
    const url = ownOrigin ? withQuery(requested, queryParameters) : requested;
    const send = async (credentials?: Record<string, string>) => {
      const headers = new Headers(init?.headers);
      if (ownOrigin) {
        for (const [name, value] of Object.entries(staticHeaders)) headers.set(name, value);
        if (credentials) for (const [name, value] of Object.entries(credentials)) headers.set(name, value);
      }
      return fetch(url, { ...init, headers, signal: controller.signal, ...(ownOrigin && { redirect: 'manual' }) });
    };
    inFlight.add(controller);
    let response: Response;
    try {
      response = ownOrigin ? await withCredentials(send, fetchView) : await send();
    } catch (error) {
      inFlight.delete(controller);
      throw error;
    }
    if (ownOrigin && REDIRECTS.has(response.status) && response.headers.has('location')) {
      inFlight.delete(controller);
      await response.body?.cancel().catch(() => {});
      if (hops >= MAX_REDIRECTS) throw new TypeError(`too many redirects (more than ${MAX_REDIRECTS})`);
      // Relative to what was requested: the URL with the query key is never resolved against, nor quoted.
      const next = new URL(response.headers.get('location')!, requested);
      const followed = redirectedInit(init, response.status);
      // Another origin gets neither static headers nor credentials: fetch follows from there on its own.
      return next.origin === options.origin ? upstreamFetch(next, followed, hops + 1) : fetch(next, followed);
    }
    // Only the GET stream lives as long as the connection and must be cut on close. A POST's answer ends with its
    // response (or its cancellation); wrapping every one to watch for its end cost more CPU than the rest of the relay.
    if (init?.method !== 'GET' || !response.headers.get('content-type')?.includes('text/event-stream')) inFlight.delete(controller);
    return response;
  };

  const post = async (headers: Record<string, string>, body: string, signal: AbortSignal): Promise<UpstreamPostResponse> =>
    withCredentials((credentials) => request(endpoint, {
      method: 'POST',
      headers: credentials ? { ...headers, ...staticHeaders, ...lowerCaseKeys(credentials) } : { ...headers, ...staticHeaders },
      body,
      signal,
    }), postView);

  return { fetch: upstreamFetch as typeof fetch, post, abortAll };
}

/**
 * Sign-in: 401, or 403 with an RFC 6750 §3.1 insufficient_scope challenge; other 403s are not about sign-in. Static
 * credentials: 401 or any 403 (RFC 9110 §15.5.4: the server understood and refuses these credentials).
 */
function isAuthFailure(status: number, wwwAuthenticate: string | null, kind: UpstreamCredentials['kind']): boolean {
  if (status === 401) return true;
  return status === 403 && (kind === 'static' || /insufficient_scope/.test(wwwAuthenticate ?? ''));
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/** WHATWG Fetch, HTTP-redirect fetch: 303 (and 301/302 after a POST) become a GET without a body; 307/308 keep both. */
function redirectedInit(init: RequestInit | undefined, status: number): RequestInit {
  const method = (init?.method ?? 'GET').toUpperCase();
  if (status === 303 ? method !== 'HEAD' : (status === 301 || status === 302) && method === 'POST') {
    const headers = new Headers(init?.headers);
    for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']) headers.delete(name);
    return { ...init, method: 'GET', body: undefined, headers };
  }
  return init ?? {};
}

function withQuery(url: URL, parameters: Readonly<Record<string, string>> | undefined): URL {
  if (!parameters) return url;
  const out = new URL(url);
  for (const [name, value] of Object.entries(parameters)) out.searchParams.set(name, value);
  return out;
}

/** A header undici gives as a list (sent more than once) reads as fetch's Headers.get() reads it: joined with ", ". */
function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return typeof value === 'string' ? value : value.join(', ');
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}
