/**
 * Why the front door refused a request. Each class maps to one HTTP answer (RFC 6750 section 3): callers branch on
 * the type, never on message text. Messages never contain the token.
 */
export abstract class FrontDoorError extends Error {
  abstract readonly status: 400 | 401 | 403 | 503;
  /** RFC 6750 section 3.1 error code; absent when the request simply carried no token (section 3). */
  abstract readonly code: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable' | undefined;
}

/** No Authorization header: a plain challenge, so the client can discover where to sign in. */
export class MissingTokenError extends FrontDoorError {
  override readonly name = 'MissingTokenError';
  readonly status = 401;
  readonly code = undefined;

  constructor() {
    super('this endpoint needs a bearer token');
  }
}

export type InvalidRequestKind = 'query-token' | 'several-headers';

/** A request that presents a token in a way the front door does not accept (RFC 6750 section 3.1 invalid_request). */
export class InvalidBearerRequestError extends FrontDoorError {
  override readonly name = 'InvalidBearerRequestError';
  readonly status = 400;
  readonly code = 'invalid_request';

  constructor(readonly kind: InvalidRequestKind, message: string) {
    super(message);
  }
}

export type InvalidTokenKind =
  | 'too-long'
  | 'malformed'
  | 'algorithm'
  | 'unknown-key'
  | 'signature'
  | 'expired'
  | 'not-yet-valid'
  | 'no-expiry'
  | 'audience'
  | 'issuer'
  | 'no-subject'
  | 'inactive';

/** The token is not one switchboard accepts: 401 `invalid_token`. */
export class InvalidTokenError extends FrontDoorError {
  override readonly name = 'InvalidTokenError';
  readonly status = 401;
  readonly code = 'invalid_token';

  constructor(readonly kind: InvalidTokenKind, message: string) {
    super(message);
  }
}

/** A valid token without the scopes the front door requires: 403 `insufficient_scope`. */
export class InsufficientScopeError extends FrontDoorError {
  override readonly name = 'InsufficientScopeError';
  readonly status = 403;
  readonly code = 'insufficient_scope';

  constructor(readonly required: readonly string[]) {
    super(`the token lacks a required scope (needs: ${required.join(' ')})`);
  }
}

export type UnavailableKind = 'metadata' | 'jwks' | 'introspection';

/**
 * The front door cannot check tokens right now (the issuer's metadata, keys or introspection endpoint is unreachable).
 * It fails closed: 503, and the request is not served.
 */
export class TokenCheckUnavailableError extends FrontDoorError {
  override readonly name = 'TokenCheckUnavailableError';
  readonly status = 503;
  readonly code = 'temporarily_unavailable';

  constructor(readonly kind: UnavailableKind, message: string) {
    super(message);
  }
}
