import * as oidc from 'openid-client';
import type { AuthorizationServerMetadata, FetchPolicy } from './discovery/index.js';
import { createGuardedFetch } from './discovery/index.js';
import { DiscoveryError, TokenRequestError } from './errors.js';

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

  constructor(readonly metadata: AuthorizationServerMetadata, readonly identity: ClientIdentity, policy: FetchPolicy) {
    const auth = identity.clientSecret === undefined
      ? oidc.None()
      : metadata.tokenEndpointAuthMethodsSupported?.includes('client_secret_basic') === false
        ? oidc.ClientSecretPost(identity.clientSecret)
        : clientSecretBasic(identity.clientSecret);
    this.configuration = new oidc.Configuration(metadata.raw as oidc.ServerMetadata, identity.clientId, undefined, auth);
    this.configuration[oidc.customFetch] = createGuardedFetch(policy) as oidc.CustomFetch;
    // The guarded fetch already refuses plain http except to loopback or where the operator allowed it.
    oidc.allowInsecureRequests(this.configuration);
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
    return oidc.buildAuthorizationUrl(this.configuration, query).href;
  }

  /** Exchanges the code from the callback; openid-client checks state, iss (RFC 9207) and error parameters. */
  async exchangeCode(callbackUrl: URL, checks: { state: string; codeVerifier: string; redirectUri: string; resource: string }): Promise<TokenSet> {
    const tokens = await this.guard(() => oidc.authorizationCodeGrant(
      this.configuration,
      callbackUrl,
      { expectedState: checks.state, pkceCodeVerifier: checks.codeVerifier, idTokenExpected: false },
      // RFC 8707 §2.2: the resource again at the token endpoint, so the token is bound to it.
      { resource: checks.resource, redirect_uri: checks.redirectUri },
    ));
    return toTokenSet(tokens);
  }

  async refresh(refreshToken: string, resource: string): Promise<TokenSet> {
    return toTokenSet(await this.guard(() => oidc.refreshTokenGrant(this.configuration, refreshToken, { resource })));
  }

  private async guard<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      // RFC 6749 §5.2 error responses keep their code; anything else (network, malformed answer) is reported by
      // kind only, since openid-client errors can quote request parameters.
      if (error instanceof oidc.ResponseBodyError) throw new TokenRequestError(error.error, error.status, error.error_description);
      // openid-client reads error bodies of 4xx answers only (RFC 6749 §5.2); a 5xx arrives as the Response in `cause`.
      // Its status tells a passing outage from a refusal, so callers can retry rather than ask for a new sign-in.
      const response = error instanceof Error && error.cause instanceof Response ? error.cause : undefined;
      await response?.body?.cancel().catch(() => {});
      const description = error instanceof Error ? `${error.message.slice(0, 200)}${response ? `: HTTP ${response.status}` : ''}` : undefined;
      throw new TokenRequestError('request_failed', response?.status, description);
    }
  }
}

/**
 * RFC 7591 dynamic client registration with openid-client. It registers at the metadata it discovers itself; ours was
 * discovered and validated already (MCP's well-known list, RFC 8414 section 3.3 issuer check, or the 2025-03-26
 * default endpoints), so its discovery request is answered with that document and only the registration goes out,
 * through the guarded fetch.
 */
export async function registerClient(metadata: AuthorizationServerMetadata, client: Partial<oidc.ClientMetadata>, policy: FetchPolicy): Promise<ClientIdentity> {
  const guarded = createGuardedFetch(policy);
  const discoveryUrl = new URL('/.well-known/oauth-authorization-server', metadata.issuer);
  const customFetch: oidc.CustomFetch = async (url, options) => url === discoveryUrl.href
    ? Response.json(metadata.raw)
    : guarded(url, options as RequestInit);
  try {
    const registered = await oidc.dynamicClientRegistration(discoveryUrl, client, undefined, {
      [oidc.customFetch]: customFetch,
      // The guarded fetch refuses plain http except to loopback or where the operator allowed it.
      execute: [oidc.allowInsecureRequests],
    });
    const { client_id: clientId, client_secret: clientSecret } = registered.clientMetadata();
    return { clientId, clientSecret: typeof clientSecret === 'string' ? clientSecret : undefined, method: 'dcr' };
  } catch (error) {
    // The guarded fetch's refusals (private address, timeout, size) say what went wrong as they are.
    if (error instanceof DiscoveryError) throw error;
    // RFC 7591 section 3.2.2: an error response carries `error`; openid-client also checks the 201 and the client_id
    // of a success (section 3.2.1). Other failures are reported by kind: their messages can quote the request.
    if (error instanceof oidc.ResponseBodyError) throw new TokenRequestError(error.error, error.status, 'dynamic client registration failed');
    const status = error instanceof Error && error.cause instanceof Response ? error.cause.status : undefined;
    throw new TokenRequestError('registration_failed', status, 'dynamic client registration failed');
  }
}

function toTokenSet(tokens: oidc.TokenEndpointResponse): TokenSet {
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
function clientSecretBasic(clientSecret: string): oidc.ClientAuth {
  const encode = (value: string) => new URLSearchParams([['v', value]]).toString().slice(2);
  return (_as, client, _body, headers) => {
    headers.set('authorization', `Basic ${Buffer.from(`${encode(client.client_id)}:${encode(clientSecret)}`).toString('base64')}`);
  };
}
