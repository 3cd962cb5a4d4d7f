import type { CrossAppAccessConfig } from '../config/index.js';
import { principalKey, type Principal } from '../principal/index.js';

/** RFC 8693 section 3 token type identifiers, for `subject_token_type`. */
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** What cross-app access presents to the IdP as the user's identity (the token exchange's `subject_token`). */
export interface IdentityAssertion {
  token: string;
  type: typeof ID_TOKEN_TYPE | typeof ACCESS_TOKEN_TYPE;
}

/** Above this many users, expired assertions are swept out on the next one kept. */
const SWEEP_ABOVE = 10_000;

/**
 * The identity assertion of each user, for cross-app access. Behind the front door it is the user's own access token,
 * as last presented and verified (kept in this process's memory only until it expires: never in the store, a log, an
 * error or a request to anyone but the IdP that issued it). Without a front door switchboard has one user, and the
 * operator configures that user's ID token.
 */
export class IdentityAssertions {
  private readonly presented = new Map<string, { token: string; expiresAt: number }>();

  constructor(private readonly config: CrossAppAccessConfig | undefined) {}

  /** Whether the front door should hand over the tokens it verifies. */
  get wanted(): boolean {
    return this.config !== undefined && this.config.idToken === undefined;
  }

  /** The front door verified this token of the user; `expiresAt` in seconds since the epoch. */
  remember(principal: Principal, token: string, expiresAt: number): void {
    if (!this.wanted) return;
    if (this.presented.size > SWEEP_ABOVE) {
      const now = Date.now() / 1000;
      for (const [key, held] of this.presented) if (held.expiresAt <= now) this.presented.delete(key);
    }
    this.presented.set(principalKey(principal), { token, expiresAt });
  }

  assertionFor(principal: Principal): IdentityAssertion | undefined {
    if (this.config?.idToken) return { token: this.config.idToken, type: ID_TOKEN_TYPE };
    const held = this.presented.get(principalKey(principal));
    if (!held || held.expiresAt <= Date.now() / 1000) return undefined;
    return { token: held.token, type: ACCESS_TOKEN_TYPE };
  }
}
