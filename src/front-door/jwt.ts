import * as errors from 'jose/errors';
import { createRemoteJWKSet } from 'jose/jwks/remote';
import { jwtVerify, type JWTVerifyGetKey } from 'jose/jwt/verify';
import type { InboundAuthConfig } from '../config/index.js';
import { InvalidTokenError, TokenCheckUnavailableError } from './errors.js';
import { readClaims, type VerifiedToken } from './verified-token.js';

/** A little skew between our clock and the issuer's (RFC 7519 sections 4.1.4 and 4.1.5 allow "some small leeway"). */
export const CLOCK_TOLERANCE_SECONDS = 30;

export interface JwtCheckOptions {
  config: InboundAuthConfig;
  /** How soon an unknown `kid` may fetch the key set again (jose's cooldown; 30 s by default). */
  jwksCooldownMs?: number;
}

/**
 * Verifies JWT access tokens with the issuer's key set (RFC 9068): fetched once and cached by jose, fetched again when
 * a token names a `kid` it does not hold (key rotation), at most once per cooldown. `iss`, `aud` and `exp` are
 * required, `nbf` is honoured, and only the configured asymmetric algorithms are accepted (RFC 8725 section 3.1:
 * `none` and HMAC never are).
 */
export class JwtCheck {
  private keys: JWTVerifyGetKey | undefined;

  constructor(private readonly options: JwtCheckOptions) {}

  async verify(token: string, jwksUri: URL, audience: string): Promise<VerifiedToken> {
    const { config } = this.options;
    this.keys ??= guardedKeys(createRemoteJWKSet(jwksUri, { cooldownDuration: this.options.jwksCooldownMs ?? 30_000, timeoutDuration: 5_000 }), jwksUri);
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: config.issuer,
        audience,
        algorithms: [...config.algorithms],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['iss', 'aud', 'exp'],
      });
      return readClaims(payload as Record<string, unknown>, config.issuer, payload.exp!, config);
    } catch (error) {
      throw tokenError(error, config.userClaim);
    }
  }
}

/**
 * The key set, with its failures sorted: a token naming a key the set lacks is the token's fault; a key set that
 * cannot be fetched or read is the issuer's, and the front door then fails closed as unavailable.
 */
function guardedKeys(remote: JWTVerifyGetKey, jwksUri: URL): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys || error instanceof errors.JOSENotSupported) throw error;
      const reason = error instanceof errors.JWKSTimeout ? 'timed out' : error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      throw new TokenCheckUnavailableError('jwks', `the issuer's key set at ${jwksUri.origin}${jwksUri.pathname} could not be fetched: ${reason}`);
    }
  };
}

function tokenError(error: unknown, userClaim: string): Error {
  if (error instanceof InvalidTokenError || error instanceof TokenCheckUnavailableError) return error;
  if (error instanceof errors.JWTExpired) return new InvalidTokenError('expired', 'the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    const { claim, reason } = error;
    if (claim === 'nbf') return new InvalidTokenError('not-yet-valid', 'the token is not valid yet (nbf)');
    if (claim === 'iss') return new InvalidTokenError('issuer', 'the token is from another issuer');
    if (claim === 'aud') return new InvalidTokenError('audience', 'the token was issued for another audience');
    if (claim === 'exp') return new InvalidTokenError('no-expiry', 'the token has no expiry (exp)');
    if (claim === userClaim) return new InvalidTokenError('no-subject', `the token has no "${userClaim}" claim naming the user`);
    return new InvalidTokenError('malformed', `the token's "${claim}" claim is ${reason === 'missing' ? 'missing' : 'invalid'}`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return new InvalidTokenError('algorithm', 'the token is signed with an algorithm switchboard does not accept');
  if (error instanceof errors.JWKSNoMatchingKey) return new InvalidTokenError('unknown-key', "the token's signing key is not in the issuer's key set");
  if (error instanceof errors.JWSSignatureVerificationFailed) return new InvalidTokenError('signature', "the token's signature does not verify");
  if (error instanceof errors.JOSEError) return new InvalidTokenError('malformed', 'the token is not a well-formed JWT');
  return error instanceof Error ? error : new Error(String(error));
}
