/**
 * Failures of upstream authorization. Callers branch on the class, never on the message.
 *
 * Every URL in a message or a `url` field goes through `describeUrl`: userinfo, query and fragment are dropped (a
 * query may carry an API key even in a URL we were handed by a hostile server) and the result is length-capped, so
 * an error can be logged as is.
 */

const MAX_URL_IN_MESSAGE = 200;

/** A URL fit for messages and logs: scheme, host, port and path only, at most 200 characters. */
export function describeUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    // An unparseable string is echoed by neither content nor length: it could be anything the upstream sent.
    return '<invalid URL>';
  }
  // `origin` is "null" for opaque and file: URLs (javascript:, data:, file:); their rest is arbitrary text, so
  // only the scheme is shown.
  const base = parsed.origin === 'null' ? `${parsed.protocol}…` : `${parsed.origin}${parsed.pathname}`;
  return base.length > MAX_URL_IN_MESSAGE ? `${base.slice(0, MAX_URL_IN_MESSAGE)}…` : base;
}

/** Base of every authorization-discovery failure. */
export class DiscoveryError extends Error {
  override name = 'DiscoveryError';
  /** The URL involved, already stripped of query, fragment and credentials. */
  readonly url: string | undefined;
  constructor(message: string, url?: string | URL, options?: ErrorOptions) {
    super(message, options);
    this.url = url === undefined ? undefined : describeUrl(url);
  }
}

export type BlockedUrlReason =
  | 'invalid-url'
  | 'scheme'
  | 'credentials'
  | 'insecure-http'
  | 'private-address';

/** The fetch policy refused a URL before any connection was made (scheme, plain http, private address). */
export class BlockedUrlError extends DiscoveryError {
  override name = 'BlockedUrlError';
  constructor(
    url: string | URL,
    readonly reason: BlockedUrlReason,
    readonly detail: string,
  ) {
    super(`refused to fetch ${describeUrl(url)}: ${detail}`, url);
  }
}

/** The protected resource metadata names a different resource than the server we asked (RFC 9728 section 3.3). */
export class ResourceMismatchError extends DiscoveryError {
  override name = 'ResourceMismatchError';
  readonly expected: string;
  readonly actual: string;
  constructor(expected: string, actual: string, metadataUrl: string | URL) {
    super(
      `protected resource metadata at ${describeUrl(metadataUrl)} is for ${describeUrl(actual)}, not ${describeUrl(expected)}`,
      metadataUrl,
    );
    this.expected = describeUrl(expected);
    this.actual = describeUrl(actual);
  }
}

/** The authorization server metadata names a different issuer than the one we looked up (RFC 8414 section 3.3). */
export class IssuerMismatchError extends DiscoveryError {
  override name = 'IssuerMismatchError';
  readonly expected: string;
  readonly actual: string;
  constructor(expected: string, actual: string, metadataUrl: string | URL) {
    super(
      `authorization server metadata at ${describeUrl(metadataUrl)} has issuer ${describeUrl(actual)}, expected ${describeUrl(expected)}`,
      metadataUrl,
    );
    this.expected = describeUrl(expected);
    this.actual = describeUrl(actual);
  }
}

/** The authorization server does not advertise PKCE S256, which MCP requires (2025-11-25, basic/authorization). */
export class PkceNotSupportedError extends DiscoveryError {
  override name = 'PkceNotSupportedError';
  constructor(issuer: string) {
    super(`authorization server ${describeUrl(issuer)} does not advertise PKCE S256 in code_challenge_methods_supported`, issuer);
  }
}

/** No candidate metadata URL answered with a document. `tried` lists every URL asked, in order. */
export class MetadataNotFoundError extends DiscoveryError {
  override name = 'MetadataNotFoundError';
  readonly tried: readonly string[];
  constructor(what: string, tried: readonly (string | URL)[]) {
    const described = tried.map((u) => describeUrl(u));
    super(`no ${what} found (tried ${described.join(', ')})`, tried[0]);
    this.tried = described;
  }
}

/** A metadata URL answered with a status that is neither a document nor "not here" (5xx, 1xx, unfollowed 3xx). */
export class UnexpectedStatusError extends DiscoveryError {
  override name = 'UnexpectedStatusError';
  constructor(
    url: string | URL,
    readonly status: number,
  ) {
    super(`unexpected HTTP ${status} from ${describeUrl(url)}`, url);
  }
}

/** A connection could not be made or broke: refused, DNS failure, TLS failure, reset. `code` is the system code. */
export class FetchFailedError extends DiscoveryError {
  override name = 'FetchFailedError';
  constructor(
    url: string | URL,
    readonly code: string | undefined,
    options?: ErrorOptions,
  ) {
    super(`could not fetch ${describeUrl(url)}${code ? ` (${code})` : ''}`, url, options);
  }
}

/** The response body exceeded the policy's byte limit; reading stopped there. */
export class ResponseTooLargeError extends DiscoveryError {
  override name = 'ResponseTooLargeError';
  constructor(
    url: string | URL,
    readonly maxBytes: number,
  ) {
    super(`response from ${describeUrl(url)} exceeds ${maxBytes} bytes`, url);
  }
}

/** The request (connection, headers and body, across redirects) took longer than the policy allows. */
export class FetchTimeoutError extends DiscoveryError {
  override name = 'FetchTimeoutError';
  constructor(
    url: string | URL,
    readonly timeoutMs: number,
  ) {
    super(`no complete response from ${describeUrl(url)} within ${timeoutMs} ms`, url);
  }
}

/** More redirects than the policy follows. */
export class TooManyRedirectsError extends DiscoveryError {
  override name = 'TooManyRedirectsError';
  constructor(
    url: string | URL,
    readonly maxRedirects: number,
  ) {
    super(`more than ${maxRedirects} redirects starting at ${describeUrl(url)}`, url);
  }
}

/** A metadata document is not JSON, not an object, or a field is missing or of the wrong type. */
export class InvalidMetadataError extends DiscoveryError {
  override name = 'InvalidMetadataError';
  constructor(url: string | URL, detail: string) {
    super(`invalid metadata from ${describeUrl(url)}: ${detail}`, url);
  }
}

/**
 * A sign-in that cannot go on. Its message is shown to the person on the callback page or to the agent in a tool
 * result, so it never carries a token, code, verifier or secret.
 */
export class SignInError extends Error {
  override name = 'SignInError';
}

/** The callback's state is unknown: expired (10 minutes), already used, or never issued (RFC 6749 §10.12). */
export class UnknownStateError extends SignInError {
  override name = 'UnknownStateError';
  constructor() {
    super('This sign-in link has expired or was already used. Ask the agent to start the sign-in again.');
  }
}

/** The authorization server answered the authorization request with an error (RFC 6749 §4.1.2.1), e.g. access_denied. */
/**
 * The token store could not be reached while a callback was handled. `link-kept`: nothing was consumed, the same
 * callback URL works once the store is back. `sign-in-lost`: the code was already exchanged (a code is single use,
 * RFC 6749 §4.1.2) but the tokens could not be kept, so only a new sign-in helps.
 */
export class SignInStoreUnavailableError extends SignInError {
  override name = 'SignInStoreUnavailableError';
  constructor(readonly kind: 'link-kept' | 'sign-in-lost', options?: ErrorOptions) {
    super(kind === 'link-kept'
      ? 'switchboard cannot reach its token store right now. Nothing was lost: try again in a moment (reload this page).'
      : 'switchboard signed you in but could not keep the sign-in: its token store is not reachable. Try again in a moment: ask the agent to start the sign-in again.', options);
  }
}

export class AuthorizationDeniedError extends SignInError {
  override name = 'AuthorizationDeniedError';
  constructor(readonly error: string, description?: string) {
    super(`The authorization server refused the sign-in: ${error}${description ? ` (${description.slice(0, 200)})` : ''}.`);
  }
}

/** The callback's `iss` is missing or names another authorization server (RFC 9207 §2.4): a mix-up attack or a misrouted response. */
export class CallbackIssuerError extends SignInError {
  override name = 'CallbackIssuerError';
  constructor(expected: string, actual: string | undefined) {
    super(actual === undefined
      ? `The authorization response carries no issuer although ${describeUrl(expected)} promises one (RFC 9207).`
      : `The authorization response comes from ${describeUrl(actual)}, not from ${describeUrl(expected)} (RFC 9207).`);
  }
}

/** The token endpoint refused a grant (RFC 6749 §5.2). `invalid_grant` on refresh means the grant is gone for good. */
export class TokenRequestError extends SignInError {
  override name = 'TokenRequestError';
  constructor(readonly error: string, readonly status: number | undefined, description?: string) {
    super(`The token endpoint refused the request: ${error}${description ? ` (${description.slice(0, 200)})` : ''}.`);
  }
}

/** client_credentials with neither tokenUrl nor issuer, for a server that names no authorization server (RFC 9728). */
export class NoTokenEndpointError extends SignInError {
  override name = 'NoTokenEndpointError';
  constructor(server: string) {
    super(`The server "${server}" publishes no protected resource metadata naming its authorization server; configure auth.tokenUrl or auth.issuer for it.`);
  }
}

/** No way to identify switchboard to this authorization server: no pre-registered client, no CIMD support, no DCR endpoint. */
export class NoClientIdentityError extends SignInError {
  override name = 'NoClientIdentityError';
  constructor(issuer: string) {
    super(`${describeUrl(issuer)} offers neither client ID metadata documents nor dynamic client registration; configure auth.clientId for this server.`);
  }
}

/** The server names an authorization server other than the one the operator pinned. */
export class IssuerNotAllowedError extends SignInError {
  override name = 'IssuerNotAllowedError';
  constructor(pinned: string, offered: readonly string[]) {
    super(`The server's metadata names ${offered.map(describeUrl).join(', ') || 'no authorization server'}, not the pinned issuer ${describeUrl(pinned)}.`);
  }
}

/** The refresh token is gone for good (RFC 6749 §5.2 `invalid_grant`): the person has to sign in again. */
export class GrantRevokedError extends SignInError {
  override name = 'GrantRevokedError';
  constructor(issuer: string) {
    super(`${describeUrl(issuer)} no longer accepts the sign-in; sign in again`);
  }
}

/** A server kept asking for a wider scope (RFC 6750 §3.1 insufficient_scope) after several sign-ins: likely misconfigured. */
export class StepUpLimitError extends SignInError {
  override name = 'StepUpLimitError';
  constructor(server: string, readonly stepUps: number) {
    super(`"${server}" asked for a wider scope ${stepUps} times; giving up (the server may be misconfigured)`);
  }
}

/** Sign-out of a server this principal never signed in to. */
export class NotSignedInError extends SignInError {
  override name = 'NotSignedInError';
  constructor(server: string) {
    super(`"${server}" has no sign-in in this session`);
  }
}

/** A server that switchboard cannot sign in to: not configured, or not reached over HTTP. */
export class NotRemoteServerError extends SignInError {
  override name = 'NotRemoteServerError';
  constructor(server: string) {
    super(`server "${server}" is not a remote server`);
  }
}

/** Where cross-app access stopped: no identity assertion of the user, the IdP, or the upstream's authorization server. */
export type CrossAppAccessFailure = 'no-identity' | 'idp-unreachable' | 'token-exchange' | 'not-supported' | 'jwt-bearer';

/**
 * Cross-app access (the MCP enterprise-managed authorization extension) could not get a token without a browser; the
 * server falls back to a browser sign-in. The message says why, for auth://status and the authenticate tool, and
 * never carries a token or secret.
 */
export class CrossAppAccessError extends SignInError {
  override name = 'CrossAppAccessError';
  constructor(readonly kind: CrossAppAccessFailure, detail: string, options?: ErrorOptions) {
    super(`Signing in through the enterprise IdP (cross-app access) failed: ${detail}`, options);
  }
}
