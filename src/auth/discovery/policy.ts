import type { LookupFunction } from 'node:net';
import { BlockedUrlError } from '../errors.js';
import { classifyAddress, isRestrictedClass } from './address.js';

/**
 * What authorization traffic on behalf of one upstream may reach. Plain data, built once per upstream by
 * `fetchPolicyFor` and passed explicitly to every discovery call and guarded fetch.
 */
export interface FetchPolicy {
  /**
   * The upstream itself lives on a loopback/private/link-local address (or is `localhost`), so its authorization
   * servers may too. When false, such addresses are reachable only through `allowPrivateHosts`.
   */
  readonly privateNetworkAllowed: boolean;
  /** Host names or IP literals (lowercase, no trailing dot, IPv6 without brackets) exempt from the address guard. */
  readonly allowPrivateHosts: readonly string[];
  /** Allow http: to non-loopback hosts. Without it only https:, plus http: to loopback literals and `localhost`. */
  readonly allowHttp: boolean;
  /** Bound on one request: connect, redirects, headers and the whole body. */
  readonly timeoutMs: number;
  /** Bound on one response body, counted after content decoding. */
  readonly maxBytes: number;
  readonly maxRedirects: number;
  /** Resolver used by the connection (default `dns.lookup`); every address it returns is checked. For tests. */
  readonly lookup?: LookupFunction;
}

export interface FetchPolicyOptions {
  allowPrivateHosts?: string[];
  allowHttp?: boolean;
  timeoutMs?: number;
  maxBytes?: number;
  lookup?: LookupFunction;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_BYTES = 256 * 1024;
const MAX_REDIRECTS = 3;

/** The policy for authorization traffic of the upstream at `upstreamUrl`. */
export function fetchPolicyFor(upstreamUrl: string, options: FetchPolicyOptions = {}): FetchPolicy {
  let upstream: URL;
  try {
    upstream = new URL(upstreamUrl);
  } catch {
    throw new BlockedUrlError(upstreamUrl, 'invalid-url', 'the upstream URL is not a valid URL');
  }
  if (upstream.protocol !== 'https:' && upstream.protocol !== 'http:') {
    throw new BlockedUrlError(upstream, 'scheme', `the upstream scheme ${upstream.protocol} is not http: or https:`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new RangeError('timeoutMs must be a positive integer');
  if (!Number.isInteger(maxBytes) || maxBytes <= 0) throw new RangeError('maxBytes must be a positive integer');
  const host = normalizeHost(upstream.hostname);
  const policy: FetchPolicy = {
    privateNetworkAllowed: isLocalhostName(host) || isRestrictedClass(classifyAddress(host) ?? 'public'),
    allowPrivateHosts: Object.freeze((options.allowPrivateHosts ?? []).map(normalizeAllowedHost)),
    allowHttp: options.allowHttp ?? false,
    timeoutMs,
    maxBytes,
    maxRedirects: MAX_REDIRECTS,
    ...(options.lookup ? { lookup: options.lookup } : {}),
  };
  return Object.freeze(policy);
}

/** Lowercase, without IPv6 brackets and without the root label's trailing dot (`a.example.` is `a.example`). */
export function normalizeHost(hostname: string): string {
  let host = hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host;
}

function normalizeAllowedHost(entry: string): string {
  // Parse as a URL host so that every spelling of an address (::1, 0:0::1, 127.1) matches what requests carry.
  const literal = entry.includes(':') && !entry.startsWith('[') ? `[${entry}]` : entry;
  try {
    return normalizeHost(new URL(`http://${literal}/`).hostname);
  } catch {
    throw new RangeError(`allowPrivateHosts entry is not a host name or IP address: ${JSON.stringify(entry.slice(0, 100))}`);
  }
}

function isLocalhostName(host: string): boolean {
  return host === 'localhost';
}

/** Whether the guard lets `host` (normalized) reach restricted addresses. */
export function mayReachPrivate(policy: FetchPolicy, host: string): boolean {
  return policy.privateNetworkAllowed || policy.allowPrivateHosts.includes(host);
}

/**
 * Checks what can be checked without resolving: scheme, credentials, plain http, and literal addresses. Resolved
 * addresses are checked again inside the connection's lookup (see guarded-fetch.ts). Returns the parsed URL.
 */
export function checkUrl(policy: FetchPolicy, input: string | URL): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new BlockedUrlError(String(input), 'invalid-url', 'not a valid URL');
  }
  // RFC 9728 section 3 and RFC 8414 section 3 fetch metadata over HTTP; anything else (file:, javascript:, data:,
  // ftp:) is never an endpoint we may contact.
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new BlockedUrlError(url, 'scheme', `scheme ${url.protocol} is not http: or https:`);
  }
  // Fetch standard: a request URL with credentials is a network error; refuse it ourselves with a clear reason.
  if (url.username !== '' || url.password !== '') {
    throw new BlockedUrlError(url, 'credentials', 'URL carries userinfo credentials');
  }
  const host = normalizeHost(url.hostname);
  const addressClass = classifyAddress(host);
  const isLoopback = isLocalhostName(host) || addressClass === 'loopback';
  // SSRF: every discovery URL comes from the upstream. A public upstream must not lead our traffic into loopback,
  // private or link-local networks (cloud metadata at 169.254.169.254) - the risk MCP 2025-11-25 (Client ID Metadata
  // Document Security) describes for authorization servers fetching client URLs, here with the roles reversed.
  if ((isLoopback || (addressClass !== undefined && isRestrictedClass(addressClass))) && !mayReachPrivate(policy, host)) {
    throw new BlockedUrlError(
      url,
      'private-address',
      `${host} is a ${addressClass ?? 'loopback'} address and the upstream is public (add it to allowPrivateHosts to permit)`,
    );
  }
  // MCP 2025-11-25 Communication Security (OAuth 2.1 section 1.5): authorization server endpoints MUST use HTTPS;
  // RFC 8414 section 2 and RFC 9728 section 2 define https URLs. Loopback is the development exception; `allowHttp`
  // is an explicit operator opt-in.
  if (url.protocol === 'http:' && !isLoopback && !policy.allowHttp) {
    throw new BlockedUrlError(url, 'insecure-http', 'plain http is only allowed to loopback hosts (set allowHttp to permit)');
  }
  return url;
}
