import type * as oidc from 'openid-client';
import type { AuthorizationServerMetadata, FetchPolicy } from './discovery/index.js';
import { createGuardedFetch } from './discovery/index.js';
import { TokenRequestError } from './errors.js';
import { loadOpenidClient } from './openid-client.js';

const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export interface ClientIdentity {
  clientId: string;
  clientSecret?: string;
  method: 'preregistered' | 'cimd' | 'dcr';
}

export interface TokenSet {
  accessToken: string;
  tokenType: string;
  refreshToken?: string;
  expiresInSeconds?: number;
  scope?: string;
}

/**
 * openid-client configured for one authorization server and one client identity. It does the protocol work we do not
 * write by hand: authorization URLs, the code grant (checking state, RFC 9207 `iss` and error responses), refresh.
 * All its HTTP goes through the guarded fetch of the upstream's policy.
 */
export class OAuthClient {
  private readonly configuration: oidc.Configuration;

  /** Async because openid-client loads with the first client (openid-client.ts). */
  static async create(metadata: AuthorizationServerMetadata, identity: ClientIdentity, policy: FetchPolicy): Promise<OAuthClient> {
    return new OAuthClient(await loadOpenidClient(), metadata, identity, policy);
  }

  private constructor(private readonly openid: typeof oidc, readonly metadata: AuthorizationServerMetadata, readonly identity: ClientIdentity, policy: FetchPolicy) {
    const auth = identity.clientSecret === undefined
      ? openid.None()
      : metadata.tokenEndpointAuthMethodsSupported?.includes('client_secret_basic') === false
        ? openid.ClientSecretPost(identity.clientSecret)
        : clientSecretBasic(identity.clientSecret);
    this.configuration = new openid.Configuration(metadata.raw as oidc.ServerMetadata, identity.clientId, undefined, auth);
    this.configuration[openid.customFetch] = createGuardedFetch(policy) as oidc.CustomFetch;
    // The guarded fetch already refuses plain http except to loopback or where the operator allowed it.
    openid.allowInsecureRequests(this.configuration);
  }

  /**
   * MCP 2025-11-25 authorization: PKCE S256 always, and RFC 8707 resources in the authorization request. Several
   * resources (RFC 8707 §2) let one grant later yield a token per server behind this issuer (single sign-on).
   */
  authorizationUrl(params: { redirectUri: string; state: string; codeChallenge: string; resources: readonly string[]; scope?: string }): string {
    const query = new URLSearchParams({
      redirect_uri: params.redirectUri,
      state: params.state,
      code_challenge: params.codeChallenge,
      code_challenge_method: 'S256',
    });
    for (const resource of params.resources) query.append('resource', resource);
    if (params.scope) query.set('scope', params.scope);
    return this.openid.buildAuthorizationUrl(this.configuration, query).href;
  }

  /** Exchanges the code from the callback; openid-client checks state, iss (RFC 9207) and error parameters. */
  async exchangeCode(callbackUrl: URL, checks: { state: string; codeVerifier: string; redirectUri: string; resource: string }): Promise<TokenSet> {
    const tokens = await this.guard(() => this.openid.authorizationCodeGrant(
      this.configuration,
      callbackUrl,
      { expectedState: checks.state, pkceCodeVerifier: checks.codeVerifier, idTokenExpected: false },
      // RFC 8707 §2.2: the resource again at the token endpoint, so the token is bound to it.
      { resource: checks.resource, redirect_uri: checks.redirectUri },
    ));
    return toTokenSet(tokens);
  }

  async refresh(refreshToken: string, resource: string): Promise<TokenSet> {
    return toTokenSet(await this.guard(() => this.openid.refreshTokenGrant(this.configuration, refreshToken, { resource })));
  }

  /**
   * RFC 8693 section 2.1 token exchange, here at the IdP for an ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant
   * section 4.3). openid-client accepts the `N_A` token type of such a response (RFC 8693 section 2.2.1).
   */
  async exchangeToken(params: Record<string, string>): Promise<{ token: string; issuedTokenType: string | undefined; expiresInSeconds?: number }> {
    const response = await this.guard(() => this.openid.genericGrantRequest(this.configuration, TOKEN_EXCHANGE_GRANT, params));
    return {
      token: response.access_token,
      issuedTokenType: typeof response.issued_token_type === 'string' ? response.issued_token_type : undefined,
      expiresInSeconds: typeof response.expires_in === 'number' ? response.expires_in : undefined,
    };
  }

  /** RFC 7523 section 2.1: a JWT (here an ID-JAG) as the authorization grant, with RFC 8707 `resource` as always. */
  async jwtBearer(assertion: string, resource: string, scope: string | undefined): Promise<TokenSet> {
    const params: Record<string, string> = { assertion, resource, ...(scope ? { scope } : {}) };
    return toTokenSet(await this.guard(() => this.openid.genericGrantRequest(this.configuration, JWT_BEARER_GRANT, params)));
  }

  private guard<T>(request: () => Promise<T>): Promise<T> {
    return guardTokenRequest(request);
  }
}

/**
 * Runs a token request of openid-client. RFC 6749 §5.2 error responses keep their code; anything else (network, a
 * malformed answer) is reported by kind only, since openid-client errors can quote request parameters.
 */
export async function guardTokenRequest<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    const openid = await loadOpenidClient();
    if (error instanceof openid.ResponseBodyError) throw new TokenRequestError(error.error, error.status, error.error_description);
    // RFC 6749 §5.2: a client that failed to authenticate gets 401 with a WWW-Authenticate challenge, which openid-client
    // reports before reading the body; the body still names the error (invalid_client).
    if (error instanceof openid.WWWAuthenticateChallengeError) {
      const body = (await error.response.json().catch(() => undefined)) as { error?: unknown } | undefined;
      throw new TokenRequestError(typeof body?.error === 'string' ? body.error : 'invalid_client', error.status, `HTTP ${error.status}`);
    }
    // openid-client reads error bodies of 4xx answers only (RFC 6749 §5.2); a 5xx arrives as the Response in `cause`.
    // Its status tells a passing outage from a refusal, so callers can retry rather than ask for a new sign-in.
    const response = error instanceof Error && error.cause instanceof Response ? error.cause : undefined;
    await response?.body?.cancel().catch(() => {});
    const description = error instanceof Error ? `${error.message.slice(0, 200)}${response ? `: HTTP ${response.status}` : ''}` : undefined;
    throw new TokenRequestError('request_failed', response?.status, description);
  }
}

/**
 * RFC 7591 dynamic client registration, through the guarded fetch. Not openid-client's `dynamicClientRegistration`:
 * it refuses a registration whose answer lacks `client_secret_expires_at` (a MUST of RFC 7591 section 3.2.1 only when
 * a secret is issued), which the official conformance suite's authorization server and servers in the wild omit;
 * we register public clients and never rely on a secret's expiry.
 */
export async function registerClient(metadata: AuthorizationServerMetadata, client: Record<string, unknown>, policy: FetchPolicy): Promise<ClientIdentity> {
  const response = await createGuardedFetch(policy)(metadata.registrationEndpoint!, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(client),
  });
  const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  // RFC 7591 section 3.2.1: a successful registration is 201 with a client_id; section 3.2.2: errors carry `error`.
  if (response.status !== 201 || typeof body?.client_id !== 'string' || !body.client_id) {
    throw new TokenRequestError(typeof body?.error === 'string' ? body.error : 'registration_failed', response.status, 'dynamic client registration failed');
  }
  return { clientId: body.client_id, clientSecret: typeof body.client_secret === 'string' ? body.client_secret : undefined, method: 'dcr' };
}

export function toTokenSet(tokens: oidc.TokenEndpointResponse): TokenSet {
  return {
    accessToken: tokens.access_token,
    tokenType: tokens.token_type ?? 'bearer',
    refreshToken: tokens.refresh_token,
    expiresInSeconds: typeof tokens.expires_in === 'number' ? tokens.expires_in : undefined,
    scope: tokens.scope,
  };
}

/**
 * RFC 6749 §2.3.1: client id and secret are form-urlencoded before Basic encoding. openid-client also escapes "-",
 * "_" and friends, which servers that decode by the letter of the RFC do not undo (conformance: pre-registration).
 */
export function clientSecretBasic(clientSecret: string): oidc.ClientAuth {
  const encode = (value: string) => new URLSearchParams([['v', value]]).toString().slice(2);
  return (_as, client, _body, headers) => {
    headers.set('authorization', `Basic ${Buffer.from(`${encode(client.client_id)}:${encode(clientSecret)}`).toString('base64')}`);
  };
}
