import { decodeJwt } from 'jose/jwt/decode';
import { auditUser, NO_AUDIT, type AuditRecorder } from '../audit/index.js';
import type { Logger } from '../log/index.js';
import { principalKey, type Principal, type SessionPrincipal } from '../principal/index.js';
import type { AccessToken, Grant, TokenStore } from '../store/index.js';
import type { ClientIdentities } from './client-identity.js';
import { GrantRevokedError, TokenRequestError } from './errors.js';
import type { TokenSet } from './oauth-client.js';
import type { ServerAuthInfo } from './server-info.js';

/** Refresh this long before expiry, or at a quarter of the lifetime for short-lived tokens. */
const REFRESH_MARGIN_MS = 60_000;
/** How many principals' grants a server removal changes at once (each under its refresh lock). */
const FORGET_CONCURRENCY = 16;

/**
 * Access tokens per principal, issuer and resource, kept in the store as one grant per (principal, issuer). Refreshes
 * are serialised per principal and issuer, across processes through the store's lock, so a rotated refresh token is
 * never replayed (pomerium #6530).
 */
export class AccessTokens {
  private readonly inFlight = new Map<string, Promise<AccessToken | undefined>>();

  constructor(
    private readonly store: TokenStore,
    private readonly clients: ClientIdentities,
    private readonly logger: Logger,
    private readonly audit: AuditRecorder = NO_AUDIT,
  ) {}

  /**
   * A usable access token of this principal for the server's resource, or undefined when a sign-in is needed.
   * Refreshes before expiry, and gets a token for a new resource of the same issuer with the refresh token (single
   * sign-on, RFC 8707). `rejected` is a token the server just refused: never hand it out again.
   */
  tokenFor(principal: Principal, info: ServerAuthInfo, rejected?: string): Promise<AccessToken | undefined> {
    // The principal is part of the key: coalescing across principals would hand one person's token to another
    // (pomerium PR #6165).
    const key = `${principalKey(principal)}\u0000${info.issuer}\u0000${info.resource}\u0000${rejected ?? ''}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const promise = this.obtain(principal, info, rejected).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return promise;
  }

  /** Keeps the tokens of a completed code exchange in the principal's grant at that issuer. */
  async keep(principal: Principal, info: ServerAuthInfo, clientId: string, resource: string, tokens: TokenSet): Promise<void> {
    await this.withGrantLock(principal, info.issuer, async () => {
      const grant = await this.store.getGrant(principal, info.issuer);
      await this.store.putGrant(principal, mergeTokens(grant, info, clientId, resource, tokens));
    });
  }

  /** Signs a principal out of an issuer (all its servers) or of one resource only. */
  async signOut(principal: Principal, issuer: string, resource?: string): Promise<void> {
    await this.withGrantLock(principal, issuer, async () => {
      const grant = await this.store.getGrant(principal, issuer);
      if (!grant) return;
      if (resource === undefined) {
        await this.store.deleteGrant(principal, issuer);
        return;
      }
      const tokens = { ...grant.tokens };
      delete tokens[resource];
      await this.store.putGrant(principal, { ...grant, tokens, updatedAt: Date.now() });
    });
  }

  /**
   * A server was removed: every principal's access token for its resource goes, or, with `wholeGrant` (no server left
   * behind the issuer), every principal's grant there, refresh token included. Returns how many principals held one.
   */
  async forgetServer(issuer: string, resource: string, options: { wholeGrant: boolean }): Promise<number> {
    const holders = (await this.store.grantsAt(issuer)).filter(({ grant }) => options.wholeGrant || resource in grant.tokens);
    for (let i = 0; i < holders.length; i += FORGET_CONCURRENCY) {
      await Promise.all(holders.slice(i, i + FORGET_CONCURRENCY).map(({ principal }) => this.signOut(principal, issuer, options.wholeGrant ? undefined : resource)));
    }
    return holders.length;
  }

  /** A session ended: its grants go with it. The type keeps the local user's and signed-in users' grants out of reach. */
  async forgetSession(principal: SessionPrincipal): Promise<void> {
    await this.store.deletePrincipal(principal);
  }

  /** The sessions are alive: their grants do not expire yet (see TokenStore.keepSessions). */
  async keepSessions(principals: readonly SessionPrincipal[]): Promise<void> {
    await this.store.keepSessions(principals);
  }

  private async obtain(principal: Principal, info: ServerAuthInfo, rejected: string | undefined): Promise<AccessToken | undefined> {
    const grant = await this.store.getGrant(principal, info.issuer);
    if (!grant) return undefined;
    const current = grant.tokens[info.resource];
    if (current && current.value !== rejected && !needsRefresh(current)) return current;
    if (!grant.refreshToken) return reusableToken(grant, info.resource, rejected);
    return this.withGrantLock(principal, info.issuer, async () => {
      // Another request or replica may have refreshed while this one waited for the lock.
      const latest = await this.store.getGrant(principal, info.issuer);
      if (!latest?.refreshToken) return latest ? reusableToken(latest, info.resource, rejected) : undefined;
      const fresh = latest.tokens[info.resource];
      if (fresh && fresh.value !== rejected && !needsRefresh(fresh)) return fresh;
      const client = await this.clients.clientFor(info, latest.clientId);
      let tokens: TokenSet;
      try {
        tokens = await client.refresh(latest.refreshToken, info.resource);
      } catch (error) {
        // TokenRequestError texts carry the OAuth error code and description, never a token.
        const reason = error instanceof TokenRequestError ? error.message : 'the refresh request failed';
        this.audit.record({ user: auditUser(principal), action: 'token.refresh', resourceType: 'server', resourceId: info.server, outcome: 'failure', reason, issuer: info.issuer });
        if (error instanceof TokenRequestError && error.error === 'invalid_grant') {
          // RFC 6749 §5.2: the refresh token is invalid, expired or revoked; only a new sign-in helps.
          await this.store.deleteGrant(principal, info.issuer);
          this.logger.warn({ principal: principalKey(principal), server: info.server, issuer: info.issuer }, 'refresh token rejected; a new sign-in is needed');
          throw new GrantRevokedError(info.issuer);
        }
        throw error;
      }
      const merged = mergeTokens(latest, info, latest.clientId, info.resource, tokens);
      await this.store.putGrant(principal, merged);
      this.logger.info({ principal: principalKey(principal), server: info.server, issuer: info.issuer }, 'access token refreshed');
      return merged.tokens[info.resource];
    });
  }

  private withGrantLock<T>(principal: Principal, issuer: string, fn: () => Promise<T>): Promise<T> {
    return this.store.withLock(`refresh\u0000${principalKey(principal)}\u0000${issuer}`, fn);
  }
}

/** Whether a token is close enough to expiry to be refreshed before use. */
export function needsRefresh(token: AccessToken): boolean {
  if (token.expiresAt === undefined) return false;
  const lifetime = token.expiresAt - (token.obtainedAt ?? token.expiresAt - REFRESH_MARGIN_MS * 4);
  return Date.now() >= token.expiresAt - Math.min(REFRESH_MARGIN_MS, lifetime / 4);
}

/** Without a refresh token, a token of the same issuer may serve another resource only if it is not audience-restricted. */
function reusableToken(grant: Grant, resource: string, rejected: string | undefined): AccessToken | undefined {
  const own = grant.tokens[resource];
  if (own && own.value !== rejected && (own.expiresAt === undefined || own.expiresAt > Date.now())) return own;
  return Object.values(grant.tokens).find((t) => !t.audienceRestricted && t.value !== rejected && (t.expiresAt === undefined || t.expiresAt > Date.now()));
}

function mergeTokens(grant: Grant | undefined, info: ServerAuthInfo, clientId: string, resource: string, tokens: TokenSet): Grant {
  const now = Date.now();
  return {
    issuer: info.issuer,
    clientId,
    // RFC 6749 §6: the AS may rotate the refresh token; when it sends none, the old one stays valid.
    refreshToken: tokens.refreshToken ?? grant?.refreshToken,
    scope: tokens.scope ?? grant?.scope,
    tokens: {
      ...grant?.tokens,
      [resource]: {
        value: tokens.accessToken,
        tokenType: tokens.tokenType,
        expiresAt: tokens.expiresInSeconds === undefined ? undefined : now + tokens.expiresInSeconds * 1000,
        obtainedAt: now,
        scope: tokens.scope,
        audienceRestricted: isAudienceRestricted(tokens.accessToken),
      },
    },
    updatedAt: now,
  };
}

/**
 * We always ask for a resource-bound token (RFC 8707). A JWT shows whether the AS honoured that with an `aud`;
 * an opaque token is taken as restricted, so it is never presented to another resource.
 */
function isAudienceRestricted(token: string): boolean {
  try {
    // Read only, not verified: the token is ours to present, and its issuer alone can vouch for it.
    return decodeJwt(token).aud !== undefined;
  } catch {
    return true;
  }
}
