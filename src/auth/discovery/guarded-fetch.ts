import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent } from 'undici';
import {
  BlockedUrlError,
  DiscoveryError,
  describeUrl,
  FetchFailedError,
  FetchTimeoutError,
  ResponseTooLargeError,
  TooManyRedirectsError,
} from '../errors.js';
import { classifyAddress, isRestrictedClass, type AddressClass } from './address.js';
import { checkUrl, mayReachPrivate, normalizeHost, type FetchPolicy } from './policy.js';

/** Raised inside the connection's lookup; turned into a BlockedUrlError naming the request URL. */
class RestrictedAddressError extends Error {
  override name = 'RestrictedAddressError';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly addressClass: AddressClass | 'not an IP address',
  ) {
    super(`${host} resolves to ${address} (${addressClass})`);
  }
}

export interface GuardedFetcher {
  fetch: typeof fetch;
  /** Closes the connection pool. Requests still running fail. */
  close(): Promise<void>;
}

/**
 * A fetch that enforces `policy` on every request and every redirect hop. Use it as openid-client's `customFetch`
 * or the MCP SDK's auth `fetchFn`. It is meant for authorization traffic (metadata, registration, token, revocation):
 * the policy's time and size bounds apply to the whole response, so it is not a transport for MCP streams.
 */
export function createGuardedFetch(policy: FetchPolicy): typeof fetch {
  return openGuardedFetch(policy).fetch;
}

/** Like createGuardedFetch, with a handle to close the connection pool when the caller is done. */
export function openGuardedFetch(policy: FetchPolicy): GuardedFetcher {
  // The address check runs inside the connection's own DNS lookup, so the addresses checked are the addresses
  // connected to: a name cannot resolve to a public address for a check and to 169.254.169.254 for the connect.
  // Literal IP hosts skip lookup in net.connect; checkUrl has already classified those.
  const agent = new Agent({ connect: { lookup: guardedLookup(policy), timeout: policy.timeoutMs } });

  const guardedFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = await normalizeRequest(input, init);
    const firstUrl = checkUrl(policy, request.url);
    const bounds = new RequestBounds(policy.timeoutMs, request.signal);
    let url = firstUrl;
    let { method, body } = request;
    const headers = request.headers;
    try {
      for (let redirects = 0; ; redirects++) {
        let response: Response;
        try {
          response = await fetch(url, {
            method,
            headers,
            body,
            redirect: 'manual',
            signal: bounds.signal,
            ...(request.duplex ? { duplex: request.duplex } : {}),
            dispatcher: agent,
          } as RequestInit);
        } catch (error) {
          throw bounds.translate(error, url);
        }
        const location = isRedirect(response.status) ? response.headers.get('location') : null;
        if (location === null || request.redirect === 'manual') {
          return limitBody(response, url, policy.maxBytes, bounds, redirects > 0);
        }
        await response.body?.cancel().catch(() => undefined);
        if (request.redirect === 'error') throw new TypeError(`redirect from ${describeUrl(url)} with redirect mode "error"`);
        if (redirects >= policy.maxRedirects) throw new TooManyRedirectsError(firstUrl, policy.maxRedirects);
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          throw new BlockedUrlError(url, 'invalid-url', 'redirect Location is not a valid URL');
        }
        // RFC 9110 section 15.4: the target of a redirect is a new request; it gets every check the first one got.
        next = checkUrl(policy, next);
        // Fetch standard, HTTP-redirect fetch: 303 (and 301/302 after POST) turn into a GET without a body.
        if ((response.status === 303 && method !== 'HEAD') || ((response.status === 301 || response.status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
          for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']) headers.delete(name);
        } else if (body instanceof ReadableStream) {
          throw new TypeError('cannot follow a 307/308 redirect with a streamed request body');
        }
        // Fetch standard: credentials are not carried to another origin.
        if (next.origin !== url.origin) for (const name of ['authorization', 'proxy-authorization', 'cookie']) headers.delete(name);
        url = next;
      }
    } catch (error) {
      bounds.release();
      throw error;
    }
  };

  return { fetch: guardedFetch as typeof fetch, close: () => agent.destroy() };
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

interface NormalizedRequest {
  url: string;
  method: string;
  headers: Headers;
  body: BodyInit | undefined;
  redirect: RequestRedirect;
  signal: AbortSignal | undefined;
  duplex: string | undefined;
}

async function normalizeRequest(input: string | URL | Request, init: RequestInit | undefined): Promise<NormalizedRequest> {
  const fromInit = {
    method: init?.method,
    headers: init?.headers,
    body: init?.body ?? undefined,
    redirect: init?.redirect,
    signal: init?.signal ?? undefined,
    duplex: (init as { duplex?: string } | undefined)?.duplex,
  };
  if (!(input instanceof Request)) {
    return {
      url: input instanceof URL ? input.href : input,
      method: (fromInit.method ?? 'GET').toUpperCase(),
      headers: new Headers(fromInit.headers),
      body: fromInit.body,
      redirect: fromInit.redirect ?? 'follow',
      signal: fromInit.signal,
      duplex: fromInit.duplex,
    };
  }
  // A Request's body can be read once; buffer it so a 307/308 can replay it. Authorization requests are small.
  const method = (fromInit.method ?? input.method).toUpperCase();
  const body = fromInit.body ?? (input.body && method !== 'GET' && method !== 'HEAD' ? await input.arrayBuffer() : undefined);
  return {
    url: input.url,
    method,
    headers: new Headers(fromInit.headers ?? input.headers),
    body,
    redirect: fromInit.redirect ?? input.redirect,
    signal: fromInit.signal ?? input.signal,
    duplex: fromInit.duplex,
  };
}

/**
 * One deadline for the whole exchange (all hops and the body), plus the caller's own signal (MCP 2025-11-25 security
 * best practices, Bound Resource Usage: apply timeouts to outbound requests). Listeners are removed
 * when the exchange ends, so a signal the caller shares across many requests does not accumulate them.
 */
class RequestBounds {
  private readonly controller = new AbortController();
  private readonly timeout: AbortSignal;
  private readonly onTimeout = () => this.controller.abort(this.timeout.reason);
  private readonly onCallerAbort = () => this.controller.abort(this.caller?.reason);

  constructor(
    readonly timeoutMs: number,
    private readonly caller: AbortSignal | undefined,
  ) {
    this.timeout = AbortSignal.timeout(timeoutMs);
    this.timeout.addEventListener('abort', this.onTimeout, { once: true });
    if (caller?.aborted) this.controller.abort(caller.reason);
    else caller?.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  release(): void {
    this.timeout.removeEventListener('abort', this.onTimeout);
    this.caller?.removeEventListener('abort', this.onCallerAbort);
  }

  /** The error to surface for a failure of fetch or of a body read. */
  translate(error: unknown, url: URL): unknown {
    if (error instanceof DiscoveryError) return error;
    if (this.caller?.aborted) return this.caller.reason;
    if (this.timeout.aborted) return new FetchTimeoutError(url, this.timeoutMs);
    const restricted = findCause(error, RestrictedAddressError);
    if (restricted) {
      return new BlockedUrlError(
        url,
        'private-address',
        `${restricted.message} and the upstream is public (add the host to allowPrivateHosts to permit)`,
      );
    }
    // undici reports network failures as TypeError('fetch failed') with the system error as cause.
    if (error instanceof TypeError) return new FetchFailedError(url, findCode(error), { cause: error });
    return error;
  }
}

function findCause<T extends Error>(error: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof type) return current;
    current = current.cause;
  }
  return undefined;
}

/** The first system error code (ECONNREFUSED, ENOTFOUND, ...) in the cause chain. */
function findCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}

/**
 * Wraps the body so reading stops once it exceeds `maxBytes` (counted after content decoding, so a compressed bomb
 * is caught too), and so timeouts during the body surface as FetchTimeoutError.
 */
async function limitBody(response: Response, url: URL, maxBytes: number, bounds: RequestBounds, redirected: boolean): Promise<Response> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    bounds.release();
    throw new ResponseTooLargeError(url, maxBytes);
  }
  const source = response.body;
  if (source === null || [101, 103, 204, 205, 304].includes(response.status)) {
    bounds.release();
    return response;
  }
  const reader = source.getReader();
  let received = 0;
  const limited = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          bounds.release();
          controller.close();
          return;
        }
        received += value.byteLength;
        if (received > maxBytes) {
          bounds.release();
          await reader.cancel().catch(() => undefined);
          controller.error(new ResponseTooLargeError(url, maxBytes));
          return;
        }
        controller.enqueue(value);
      } catch (error) {
        const translated = bounds.translate(error, url);
        bounds.release();
        controller.error(translated);
      }
    },
    async cancel(reason) {
      bounds.release();
      await reader.cancel(reason).catch(() => undefined);
    },
  });
  const wrapped = new Response(limited, { status: response.status, statusText: response.statusText, headers: response.headers });
  Object.defineProperty(wrapped, 'url', { value: response.url });
  Object.defineProperty(wrapped, 'redirected', { value: redirected });
  return wrapped;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A lookup for net.connect that refuses restricted addresses unless the policy allows them for this host. */
function guardedLookup(policy: FetchPolicy): LookupFunction {
  const resolve: LookupFunction = policy.lookup ?? (dnsLookup as unknown as LookupFunction);
  return (hostname: string, options: LookupOptions, callback: LookupCallback) => {
    const host = normalizeHost(hostname);
    resolve(hostname, { ...options, all: true }, (err, result, family) => {
      if (err) return callback(err, '', undefined);
      const addresses: LookupAddress[] = Array.isArray(result)
        ? result
        : [{ address: result, family: family ?? (result.includes(':') ? 6 : 4) }];
      if (addresses.length === 0) {
        const notFound: NodeJS.ErrnoException = Object.assign(new Error(`no addresses for ${host}`), { code: 'ENOTFOUND' });
        return callback(notFound, '', undefined);
      }
      if (!mayReachPrivate(policy, host)) {
        // Every address must pass: connection attempts may use any of them (happy eyeballs), and a mix of public
        // and private answers is the signature of a rebinding attempt.
        for (const { address } of addresses) {
          const addressClass = classifyAddress(address);
          if (addressClass === undefined || isRestrictedClass(addressClass)) {
            return callback(new RestrictedAddressError(host, address, addressClass ?? 'not an IP address'), '', undefined);
          }
        }
      }
      const first = addresses[0] as LookupAddress;
      if (options.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}
