import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { isRemote, type Config, type RemoteServerConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { AccessToken, Grant, TokenStore } from '../store/index.js';
import {
  discoverAuthorizationServer,
  discoverLegacyAuthorizationServer,
  discoverProtectedResource,
  fetchPolicyFor,
  type AuthorizationServerMetadata,
  type BearerChallenge,
  type FetchPolicy,
} from './discovery/index.js';
import {
  AuthorizationDeniedError,
  CallbackIssuerError,
  IssuerMismatchError,
  IssuerNotAllowedError,
  MetadataNotFoundError,
  NoClientIdentityError,
  SignInError,
  TokenRequestError,
  UnknownStateError,
} from './errors.js';
import { OAuthClient, registerClient, type ClientIdentity, type TokenSet } from './oauth-client.js';

/** MCP 2025-11-25 authorization does not fix it; RFC 6749 §10.12 wants state short-lived. The issue says 10 minutes. */
const PENDING_TTL_MS = 10 * 60_000;
const DISCOVERY_TTL_MS = 5 * 60_000;
/** Refresh this long before expiry, or at a quarter of the lifetime for short-lived tokens. */
const REFRESH_MARGIN_MS = 60_000;

/** What switchboard knows about signing in to one upstream server. */
export interface ServerAuthInfo {
  server: string;
  /** RFC 8707 resource: the canonical URI of the MCP server (RFC 9728 `resource` when published). */
  resource: string;
  issuer: string;
  metadata: AuthorizationServerMetadata;
  /** The scope to ask for when the challenge names none. */
  defaultScope?: string;
}

export interface SignInStart {
  authorizationUrl: string;
  state: string;
}

export interface CompletedSignIn {
  principal: string;
  server: string;
  issuer: string;
  state: string;
}

/** The refresh token is gone for good (`invalid_grant`): the person has to sign in again. */
export class GrantRevokedError extends SignInError {
  override name = 'GrantRevokedError';
}

type GrantListener = (event: CompletedSignIn) => void;

/**
 * Upstream OAuth for the whole process: discovery (cached per server), client identity (pre-registered, CIMD, DCR:
 * registered once per issuer and redirect URI), sign-ins (pending state in the store), the callback, and access tokens
 * per principal, issuer and resource with serialised refresh.
 */
export class AuthManager {
  private publicUrlValue: string;
  private readonly discovery = new Map<string, { at: number; info: Promise<ServerAuthInfo> }>();
  private readonly clients = new Map<string, Promise<OAuthClient>>();
  private readonly inFlight = new Map<string, Promise<AccessToken | undefined>>();
  private readonly listeners = new Set<GrantListener>();
  private readonly logger: Logger;

  constructor(private readonly config: Config, readonly store: TokenStore, logger: Logger) {
    this.logger = logger.child({ component: 'auth' });
    this.publicUrlValue = (config.publicUrl ?? 'http://127.0.0.1').replace(/\/+$/, '');
  }

  /** Called once the HTTP port is known, when no publicUrl was configured. */
  setPublicUrl(url: string): void {
    this.publicUrlValue = url.replace(/\/+$/, '');
  }

  get publicUrl(): string {
    return this.publicUrlValue;
  }

  get redirectUri(): string {
    return `${this.publicUrlValue}/oauth/callback`;
  }

  /** The client metadata document switchboard serves for CIMD (draft-ietf-oauth-client-id-metadata-document). */
  clientMetadataDocument(): Record<string, unknown> {
    return {
      client_id: `${this.publicUrlValue}/oauth/client-metadata.json`,
      client_name: 'switchboard',
      client_uri: this.publicUrlValue,
      redirect_uris: [this.redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  onSignIn(listener: GrantListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private policyFor(server: string): FetchPolicy {
    const config = this.remote(server);
    return fetchPolicyFor(config.url, { allowPrivateHosts: this.config.security.allowPrivateHosts, allowHttp: this.config.security.allowHttp });
  }

  /**
   * Discovery for a server that asked for a sign-in; cached per server (and challenge metadata URL) for a few minutes.
   * `issuer` is for the OAuth callback: the metadata of the issuer the sign-in started with, found without the
   * challenge (whose resource_metadata URL the callback does not know), whenever and wherever the callback arrives.
   */
  resolve(server: string, challenge?: BearerChallenge, issuer?: string): Promise<ServerAuthInfo> {
    const key = `${server}\u0000${challenge?.resourceMetadata ?? ''}\u0000${issuer ?? ''}`;
    const cached = this.discovery.get(key);
    if (cached && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.info;
    const info = this.discover(server, challenge, issuer);
    this.discovery.set(key, { at: Date.now(), info });
    info.catch(() => this.discovery.delete(key));
    return info;
  }

  private async discover(server: string, challenge: BearerChallenge | undefined, knownIssuer?: string): Promise<ServerAuthInfo> {
    const config = this.remote(server);
    const auth = config.auth;
    const policy = this.policyFor(server);
    if (auth?.authorizationEndpoint && auth.tokenEndpoint) {
      // The operator gave the endpoints outright, for servers that publish no metadata.
      const issuer = auth.issuer ?? new URL(auth.tokenEndpoint).origin;
      const raw = { issuer, authorization_endpoint: auth.authorizationEndpoint, token_endpoint: auth.tokenEndpoint, code_challenge_methods_supported: ['S256'] };
      return {
        server,
        resource: canonicalResource(config.url),
        issuer,
        defaultScope: auth.scopes?.join(' '),
        metadata: {
          issuer, authorizationEndpoint: auth.authorizationEndpoint, tokenEndpoint: auth.tokenEndpoint, codeChallengeMethodsSupported: ['S256'],
          clientIdMetadataDocumentSupported: false, authorizationResponseIssParameterSupported: false, raw,
        },
      };
    }
    // At the callback the issuer is known (the one the sign-in started with): only its metadata is needed.
    const prm = knownIssuer === undefined ? await discoverProtectedResource(config.url, challenge, policy) : undefined;
    if (auth?.issuer && prm && !prm.authorizationServers.includes(auth.issuer)) throw new IssuerNotAllowedError(auth.issuer, prm.authorizationServers);
    // MCP 2025-11-25 authorization: the client picks from authorization_servers, unless the operator pinned one.
    const issuer = knownIssuer ?? auth?.issuer ?? prm?.authorizationServers[0];
    let metadata: AuthorizationServerMetadata;
    if (issuer === undefined) {
      // No PRM and nothing pinned: the MCP 2025-03-26 back-compat rules put the authorization server at the MCP
      // server's origin (its metadata there, or the default endpoints).
      metadata = await discoverLegacyAuthorizationServer(config.url, policy);
    } else {
      try {
        metadata = await discoverAuthorizationServer(issuer, policy);
      } catch (error) {
        // A sign-in started under the 2025-03-26 rules: its issuer's metadata is at the MCP server's origin, or nowhere.
        const legacy = knownIssuer !== undefined && error instanceof MetadataNotFoundError && new URL(knownIssuer).origin === new URL(config.url).origin;
        if (!legacy) throw error;
        metadata = await discoverLegacyAuthorizationServer(config.url, policy);
        if (metadata.issuer !== knownIssuer) throw new IssuerMismatchError(knownIssuer, metadata.issuer, new URL(config.url).origin);
      }
    }
    const defaultScope = auth?.scopes?.join(' ') ?? prm?.scopesSupported?.join(' ');
    return { server, resource: prm?.resource ?? canonicalResource(config.url), issuer: metadata.issuer, metadata, defaultScope: defaultScope || undefined };
  }

  /**
   * Starts a sign-in: PKCE verifier and state are kept in the store for 10 minutes, bound to the principal.
   * `alsoFor` are the resources of other servers behind the same issuer, included so single sign-on can reach them.
   */
  async beginSignIn(principal: string, info: ServerAuthInfo, scope: string | undefined, alsoFor: readonly string[] = []): Promise<SignInStart> {
    const client = await this.clientFor(info);
    // openid-client: 32 random bytes each (RFC 7636 §4.1, RFC 6749 §10.10), S256 challenge (RFC 7636 §4.2).
    const state = oidc.randomState();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const codeChallenge = await oidc.calculatePKCECodeChallenge(codeVerifier);
    await this.store.putPending({
      state, principal, server: info.server, issuer: info.issuer, resource: info.resource, codeVerifier,
      redirectUri: this.redirectUri, clientId: client.identity.clientId, scope, createdAt: Date.now(),
    }, PENDING_TTL_MS);
    const resources = [...new Set([info.resource, ...alsoFor])];
    const authorizationUrl = client.authorizationUrl({ redirectUri: this.redirectUri, state, codeChallenge, resources, scope });
    this.logger.info({ session: principal, server: info.server, issuer: info.issuer, client: client.identity.method }, 'sign-in started');
    return { authorizationUrl, state };
  }

  /** Handles the OAuth callback. Every failure is a SignInError and changes nothing but the (consumed) state. */
  async completeSignIn(callbackUrl: URL): Promise<CompletedSignIn> {
    const params = callbackUrl.searchParams;
    const state = params.get('state');
    // RFC 6749 §10.12: the state is single use, bound to the session that started it, and expires.
    const pending = state ? await this.store.takePending(state) : undefined;
    if (!pending || !state) throw new UnknownStateError();
    const info = await this.resolve(pending.server, undefined, pending.issuer);
    if (info.issuer !== pending.issuer) throw new CallbackIssuerError(pending.issuer, info.issuer);
    // RFC 9207 §2.4: check iss whenever it is present or the server promised it.
    const iss = params.get('iss') ?? undefined;
    if ((iss !== undefined || info.metadata.authorizationResponseIssParameterSupported) && iss !== pending.issuer) {
      throw new CallbackIssuerError(pending.issuer, iss);
    }
    const error = params.get('error');
    if (error) throw new AuthorizationDeniedError(error, params.get('error_description') ?? undefined);
    if (!params.get('code')) throw new AuthorizationDeniedError('invalid_request', 'the callback carries no code');

    // The code was issued to the client the sign-in started with, whichever replica takes the callback.
    const client = await this.clientFor(info, pending.clientId);
    const tokens = await client.exchangeCode(callbackUrl, { state, codeVerifier: pending.codeVerifier, redirectUri: pending.redirectUri, resource: pending.resource });
    await this.store.withLock(refreshLockKey(pending.principal, info.issuer), async () => {
      const grant = await this.store.getGrant(pending.principal, info.issuer);
      await this.store.putGrant(pending.principal, mergeTokens(grant, info, client.identity.clientId, pending.resource, tokens));
    });
    const completed = { principal: pending.principal, server: pending.server, issuer: info.issuer, state };
    this.logger.info({ session: pending.principal, server: pending.server, issuer: info.issuer }, 'sign-in completed');
    for (const listener of this.listeners) listener(completed);
    return completed;
  }

  /**
   * A usable access token of this principal for the server's resource, or undefined when a sign-in is needed.
   * Refreshes before expiry, once at a time per principal and issuer (across processes through the store's lock),
   * and gets a token for a new resource of the same issuer with the refresh token (single sign-on, RFC 8707).
   * `rejected` is a token the server just refused: never hand it out again.
   */
  tokenFor(principal: string, info: ServerAuthInfo, rejected?: string): Promise<AccessToken | undefined> {
    const key = `${principal}\u0000${info.issuer}\u0000${info.resource}\u0000${rejected ?? ''}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const promise = this.obtainToken(principal, info, rejected).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return promise;
  }

  private async obtainToken(principal: string, info: ServerAuthInfo, rejected: string | undefined): Promise<AccessToken | undefined> {
    const grant = await this.store.getGrant(principal, info.issuer);
    if (!grant) return undefined;
    const current = grant.tokens[info.resource];
    if (current && current.value !== rejected && !needsRefresh(current)) return current;
    if (!grant.refreshToken) return reusableToken(grant, info.resource, rejected);
    return this.store.withLock(refreshLockKey(principal, info.issuer), async () => {
      // Another request or replica may have refreshed while this one waited for the lock.
      const latest = await this.store.getGrant(principal, info.issuer);
      if (!latest?.refreshToken) return latest ? reusableToken(latest, info.resource, rejected) : undefined;
      const fresh = latest.tokens[info.resource];
      if (fresh && fresh.value !== rejected && !needsRefresh(fresh)) return fresh;
      const client = await this.clientFor(info, latest.clientId);
      let tokens: TokenSet;
      try {
        tokens = await client.refresh(latest.refreshToken, info.resource);
      } catch (error) {
        if (error instanceof TokenRequestError && error.error === 'invalid_grant') {
          // RFC 6749 §5.2: the refresh token is invalid, expired or revoked; only a new sign-in helps.
          await this.store.deleteGrant(principal, info.issuer);
          this.logger.warn({ session: principal, server: info.server, issuer: info.issuer }, 'refresh token rejected; a new sign-in is needed');
          throw new GrantRevokedError(`${info.issuer} no longer accepts the sign-in; sign in again`);
        }
        throw error;
      }
      const merged = mergeTokens(latest, info, latest.clientId, info.resource, tokens);
      await this.store.putGrant(principal, merged);
      this.logger.info({ session: principal, server: info.server, issuer: info.issuer }, 'access token refreshed');
      return merged.tokens[info.resource];
    });
  }

  /** Signs a principal out of an issuer (all its servers) or of one resource only. */
  async signOut(principal: string, issuer: string, resource?: string): Promise<void> {
    await this.store.withLock(refreshLockKey(principal, issuer), async () => {
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

  async forgetPrincipal(principal: string): Promise<void> {
    await this.store.deletePrincipal(principal);
  }

  private remote(server: string): RemoteServerConfig {
    const config = this.config.mcpServers[server];
    if (!config || !isRemote(config)) throw new SignInError(`server "${server}" is not a remote server`);
    return config;
  }

  /** The OAuth client for a server's issuer: one identity per issuer and redirect URI, found once. */
  private clientFor(info: ServerAuthInfo, knownClientId?: string): Promise<OAuthClient> {
    const auth = this.remote(info.server).auth;
    const key = `${info.issuer}\u0000${auth?.clientId ?? ''}\u0000${knownClientId ?? ''}`;
    let client = this.clients.get(key);
    if (!client) {
      client = this.identify(info, knownClientId).then((identity) => new OAuthClient(info.metadata, identity, this.policyFor(info.server)));
      client.catch(() => this.clients.delete(key));
      this.clients.set(key, client);
    }
    return client;
  }

  /** MCP 2025-11-25 authorization, client registration: pre-registered, then CIMD, then DCR (RFC 7591). */
  private async identify(info: ServerAuthInfo, knownClientId: string | undefined): Promise<ClientIdentity> {
    const auth = this.remote(info.server).auth;
    if (auth?.clientId) return { clientId: auth.clientId, clientSecret: auth.clientSecret, method: 'preregistered' };
    const cimdUrl = auth?.clientMetadataUrl ?? (this.publicUrlValue.startsWith('https://') ? `${this.publicUrlValue}/oauth/client-metadata.json` : undefined);
    if (info.metadata.clientIdMetadataDocumentSupported && cimdUrl && (!knownClientId || knownClientId === cimdUrl)) {
      return { clientId: cimdUrl, method: 'cimd' };
    }
    const registered = await this.store.getRegistration(info.issuer, this.redirectUri);
    if (registered && (!knownClientId || registered.clientId === knownClientId)) {
      return { clientId: registered.clientId, clientSecret: registered.clientSecret, method: 'dcr' };
    }
    // A grant made under another registration (another redirect URI, e.g. a replica with another public URL) is
    // refreshed with its own client id: registered as a public client, it needs no secret.
    if (knownClientId) return { clientId: knownClientId, method: 'dcr' };
    if (!info.metadata.registrationEndpoint) throw new NoClientIdentityError(info.issuer);
    return this.store.withLock(`register\u0000${info.issuer}`, async () => {
      const again = await this.store.getRegistration(info.issuer, this.redirectUri);
      if (again) return { clientId: again.clientId, clientSecret: again.clientSecret, method: 'dcr' as const };
      const identity = await this.register(info);
      await this.store.putRegistration({ issuer: info.issuer, redirectUri: this.redirectUri, clientId: identity.clientId, clientSecret: identity.clientSecret, method: 'dcr', registeredAt: Date.now() });
      this.logger.info({ issuer: info.issuer }, 'registered with the authorization server (dynamic client registration)');
      return identity;
    });
  }

  private register(info: ServerAuthInfo): Promise<ClientIdentity> {
    return registerClient(info.metadata, {
      client_name: 'switchboard',
      redirect_uris: [this.redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }, this.policyFor(info.server));
  }
}

/** MCP 2025-11-25 authorization, canonical server URI: lowercase scheme and host, no fragment. */
function canonicalResource(url: string): string {
  const parsed = new URL(url);
  parsed.hash = '';
  return parsed.href;
}

function refreshLockKey(principal: string, issuer: string): string {
  return `refresh\u0000${principal}\u0000${issuer}`;
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
