import type { InboundAuthConfig } from '../config/index.js';
import { InvalidTokenError } from './errors.js';

/** What a checked token says, whichever way it was checked (a JWT's claims, or an introspection answer). */
export interface VerifiedToken {
  issuer: string;
  /** The value of `inboundAuth.userClaim`: with the issuer, who the caller is. */
  subject: string;
  clientId: string;
  scopes: string[];
  /** Seconds since the epoch. */
  expiresAt: number;
  /** The value of `inboundAuth.teamsClaim`, when configured and present. */
  teams?: string[];
}

/**
 * Reads the claims both kinds of token share (RFC 9068 section 2.2, RFC 7662 section 2.2): the user claim, the
 * client, the scopes (`scope` as a space-separated string; `scp` as an array, as some IdPs send it) and the teams.
 * `iss`, `aud` and `exp` are checked by the caller before.
 */
export function readClaims(claims: Record<string, unknown>, issuer: string, expiresAt: number, config: InboundAuthConfig): VerifiedToken {
  const subject = claims[config.userClaim];
  if (typeof subject !== 'string' || subject.length === 0) {
    throw new InvalidTokenError('no-subject', `the token has no "${config.userClaim}" claim naming the user`);
  }
  const scope = claims.scope ?? claims.scp;
  const scopes = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : Array.isArray(scope) ? scope.filter((s): s is string => typeof s === 'string') : [];
  const clientId = typeof claims.client_id === 'string' ? claims.client_id : typeof claims.azp === 'string' ? claims.azp : '';
  const teamsValue = config.teamsClaim === undefined ? undefined : claims[config.teamsClaim];
  const teams = Array.isArray(teamsValue) ? teamsValue.filter((t): t is string => typeof t === 'string') : undefined;
  return { issuer, subject, clientId, scopes, expiresAt, ...(teams ? { teams } : {}) };
}

/** RFC 7519 section 4.1.3: `aud` is one string or an array of them. */
export function audienceIncludes(aud: unknown, audience: string): boolean {
  return typeof aud === 'string' ? aud === audience : Array.isArray(aud) && aud.includes(audience);
}
