/**
 * An OAuth error the mock answers with. `code` is the registered error code
 * (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 8707 §2, RFC 6750 §3.1); handlers throw
 * it and the route turns it into the JSON body (or redirect) the RFCs define.
 */
export class OAuthErrorResponse extends Error {
  constructor(
    readonly code: string,
    readonly description: string,
    readonly status = 400,
    /** Extra response headers, e.g. `WWW-Authenticate: Basic` for a failed client_secret_basic (RFC 6749 §5.2). */
    readonly headers: Record<string, string> = {},
  ) {
    super(`${code}: ${description}`);
    this.name = 'OAuthErrorResponse';
  }

  toJSON(): { error: string; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

/**
 * An /authorize failure that must NOT be redirected: the client or redirect_uri
 * could not be trusted, so RFC 6749 §4.1.2.1 says inform the user instead of
 * sending them to a possibly attacker-controlled URI.
 */
export class UntrustedAuthorizationRequestError extends OAuthErrorResponse {
  constructor(code: string, description: string) {
    super(code, description, 400);
    this.name = 'UntrustedAuthorizationRequestError';
  }
}
