import { auditUser, NO_AUDIT, type AuditRecorder } from '../audit/index.js';
import type { Logger } from '../log/index.js';
import { principalKey, type Principal } from '../principal/index.js';
import { StoreUnavailableError, type PendingSignIn, type TokenStore } from '../store/index.js';
import type { AccessTokens } from './access-tokens.js';
import type { CallbackAddress } from './callback-address.js';
import type { ClientIdentities } from './client-identity.js';
import { AuthorizationDeniedError, CallbackIssuerError, DiscoveryError, SignInError, SignInStoreUnavailableError, UnknownStateError } from './errors.js';
import { loadOpenidClient } from './openid-client.js';
import type { ServerAuthInfo, ServerInfoResolver } from './server-info.js';

/** MCP 2025-11-25 authorization does not fix it; RFC 6749 §10.12 wants state short-lived. The issue says 10 minutes. */
const PENDING_TTL_MS = 10 * 60_000;

export interface SignInStart {
  authorizationUrl: string;
  state: string;
}

export interface CompletedSignIn {
  principal: Principal;
  server: string;
  issuer: string;
  state: string;
}

type SignInListener = (event: CompletedSignIn) => void;

/**
 * The authorization code flow (RFC 6749 §4.1 with PKCE, RFC 7636): a sign-in starts with its state and verifier kept
 * in the store, bound to the principal, and ends at the OAuth callback, on whichever replica the browser reaches.
 */
export class SignInFlow {
  private readonly listeners = new Set<SignInListener>();

  constructor(
    private readonly servers: ServerInfoResolver,
    private readonly clients: ClientIdentities,
    private readonly tokens: AccessTokens,
    private readonly store: TokenStore,
    private readonly address: CallbackAddress,
    private readonly logger: Logger,
    private readonly audit: AuditRecorder = NO_AUDIT,
  ) {
    // The callback may land on another replica: its sign-ins reach this one's listeners as if completed here.
    store.onSignInElsewhere((notice) => this.emit(notice));
  }

  /**
   * Hears every sign-in that completes, in this process or (through a shared store) in another; the listener picks
   * the ones of its principal.
   */
  onSignIn(listener: SignInListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Starts a sign-in: PKCE verifier and state are kept in the store for 10 minutes, bound to the principal.
   * `alsoFor` are the resources of other servers behind the same issuer, included so single sign-on can reach them.
   */
  async begin(principal: Principal, info: ServerAuthInfo, scope: string | undefined, alsoFor: readonly string[] = []): Promise<SignInStart> {
    const client = await this.clients.clientFor(info);
    // openid-client: 32 random bytes each (RFC 7636 §4.1, RFC 6749 §10.10), S256 challenge (RFC 7636 §4.2).
    const openid = await loadOpenidClient();
    const state = openid.randomState();
    const codeVerifier = openid.randomPKCECodeVerifier();
    const codeChallenge = await openid.calculatePKCECodeChallenge(codeVerifier);
    const redirectUri = this.address.redirectUri;
    await this.store.putPending({
      state, principal, server: info.server, issuer: info.issuer, resource: info.resource, codeVerifier,
      redirectUri, clientId: client.identity.clientId, scope, createdAt: Date.now(),
    }, PENDING_TTL_MS);
    const resources = [...new Set([info.resource, ...alsoFor])];
    const authorizationUrl = client.authorizationUrl({ redirectUri, state, codeChallenge, resources, scope });
    this.logger.info({ principal: principalKey(principal), server: info.server, issuer: info.issuer, client: client.identity.method }, 'sign-in started');
    return { authorizationUrl, state };
  }

  /** Handles the OAuth callback. Every failure is a SignInError and changes nothing but the (consumed) state. */
  async complete(callbackUrl: URL): Promise<CompletedSignIn> {
    const params = callbackUrl.searchParams;
    const state = params.get('state');
    // RFC 6749 §10.12: the state is single use, bound to the principal that started it, and expires.
    const pending = state ? await this.store.takePending(state).catch(storeUnavailable('link-kept')) : undefined;
    if (!pending || !state) {
      const refused = new UnknownStateError();
      this.audit.record({ user: auditUser(undefined), action: 'sign_in', resourceType: 'server', resourceId: '-', outcome: 'failure', reason: refused.message });
      throw refused;
    }
    try {
      return await this.completePending(callbackUrl, pending, state);
    } catch (error) {
      // SignInError and DiscoveryError texts are secret-free by design (URLs lose their query); others are not shown.
      const reason = error instanceof SignInError || error instanceof DiscoveryError ? error.message : 'unexpected error';
      this.audit.record({ user: auditUser(pending.principal), action: 'sign_in', resourceType: 'server', resourceId: pending.server, outcome: 'failure', reason, issuer: pending.issuer });
      throw error;
    }
  }

  private async completePending(callbackUrl: URL, pending: PendingSignIn, state: string): Promise<CompletedSignIn> {
    const params = callbackUrl.searchParams;
    const info = await this.servers.resolve(pending.server, undefined, { issuer: pending.issuer });
    if (info.issuer !== pending.issuer) throw new CallbackIssuerError(pending.issuer, info.issuer);
    // RFC 9207 §2.4: check iss whenever it is present or the server promised it.
    const iss = params.get('iss') ?? undefined;
    if ((iss !== undefined || info.metadata.authorizationResponseIssParameterSupported) && iss !== pending.issuer) {
      throw new CallbackIssuerError(pending.issuer, iss);
    }
    const error = params.get('error');
    // RFC 6749 §4.1.2.1: the authorization server refused (access_denied and friends).
    if (error) throw new AuthorizationDeniedError(error, params.get('error_description') ?? undefined);
    if (!params.get('code')) throw new AuthorizationDeniedError('invalid_request', 'the callback carries no code');

    // The code was issued to the client the sign-in started with, whichever replica takes the callback.
    const client = await this.clients.clientFor(info, pending.clientId).catch(async (error: unknown) => {
      // The store went away after the state was taken, before the code was used: put the state back, so the same
      // link still works once the store is back.
      if (error instanceof StoreUnavailableError) await this.putBack(pending);
      return storeUnavailable('link-kept')(error);
    });
    const tokens = await client.exchangeCode(callbackUrl, { state, codeVerifier: pending.codeVerifier, redirectUri: pending.redirectUri, resource: pending.resource });
    await this.tokens.keep(pending.principal, info, client.identity.clientId, pending.resource, tokens).catch(storeUnavailable('sign-in-lost'));
    const completed = { principal: pending.principal, server: pending.server, issuer: info.issuer, state };
    this.logger.info({ principal: principalKey(pending.principal), server: pending.server, issuer: info.issuer }, 'sign-in completed');
    this.audit.record({ user: auditUser(pending.principal), action: 'sign_in', resourceType: 'server', resourceId: pending.server, outcome: 'success', issuer: info.issuer });
    this.emit(completed);
    // Told before the browser hears of it, so the replica serving the principal's client starts connecting at once. The
    // sign-in is stored either way: a replica that misses the notice finds it at the next authenticate call.
    await this.store.announceSignIn(completed).catch((error: unknown) => {
      this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'could not tell the other replicas of a sign-in');
    });
    return completed;
  }

  private emit(completed: CompletedSignIn): void {
    for (const listener of this.listeners) listener(completed);
  }

  /** Best effort: when the store is still down the state is lost, and the person is asked to start again. */
  private async putBack(pending: PendingSignIn): Promise<void> {
    const ttlMs = pending.createdAt + PENDING_TTL_MS - Date.now();
    if (ttlMs <= 0) return;
    await this.store.putPending(pending, ttlMs).catch(() => {
      this.logger.warn({ principal: principalKey(pending.principal), server: pending.server }, 'could not put a sign-in back after the token store failed');
    });
  }
}

/** A store outage during a callback becomes the error that tells the person whether the same link will work. */
function storeUnavailable(kind: 'link-kept' | 'sign-in-lost'): (error: unknown) => never {
  return (error) => {
    if (error instanceof StoreUnavailableError) throw new SignInStoreUnavailableError(kind, { cause: error });
    throw error;
  };
}
