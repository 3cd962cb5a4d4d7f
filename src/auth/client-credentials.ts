import { importPKCS8 } from 'jose/key/import';
import type * as oidc from 'openid-client';
import type { ClientCredentialsConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { AccessToken } from '../store/index.js';
import type { AuthChallenge } from '../upstream/index.js';
import { needsRefresh } from './access-tokens.js';
import {
  createGuardedFetch,
  discoverProtectedResource,
  discoverTokenEndpoint,
  parseWwwAuthenticate,
  type BearerChallenge,
  type FetchPolicy,
  type TokenEndpointMetadata,
} from './discovery/index.js';
import { NoTokenEndpointError } from './errors.js';
import { clientSecretBasic, guardTokenRequest, toTokenSet } from './oauth-client.js';
import { loadOpenidClient } from './openid-client.js';
import { canonicalResource } from './server-info.js';

/** Where the grant is made, found once (and again after a refusal). */
interface TokenEndpoint {
  configuration: oidc.Configuration;
  /** RFC 8707 resource for the token request. */
  resource: string;
}

/**
 * An app-level token for one server, from the OAuth 2.0 client credentials grant (RFC 6749 §4.4; MCP extension
 * io.modelcontextprotocol/oauth-client-credentials, SEP-1046): obtained on first use, cached, renewed before it
 * expires, and shared by every principal's connection to the server (the token belongs to switchboard, not to a user).
 *
 * The token endpoint is `tokenUrl`, or the one in the metadata of `issuer` (RFC 8414), or of the first authorization
 * server in the server's protected resource metadata (RFC 9728). The client authenticates with client_secret_basic,
 * client_secret_post (RFC 6749 §2.3.1) or private_key_jwt (RFC 7523 §2.2, the assertion's `aud` the issuer).
 */
export class ClientCredentialsGrant {
  private token: AccessToken | undefined;
  private obtaining: Promise<AccessToken> | undefined;
  private endpoint: Promise<TokenEndpoint> | undefined;

  constructor(
    private readonly server: string,
    private readonly serverUrl: string,
    private readonly config: ClientCredentialsConfig,
    private readonly policy: FetchPolicy,
    private readonly logger: Logger,
  ) {}

  /** The current token, obtained or renewed when it is missing or about to expire. */
  async current(): Promise<string> {
    if (this.token && !needsRefresh(this.token)) return this.token.value;
    return (await this.obtain(undefined)).value;
  }

  /**
   * The server refused `refused` (revoked, or expired earlier than it said): a new token, once. True when there is one
   * that differs; false when the authorization server hands out the same token again.
   */
  async renew(refused: string | undefined, challenge: AuthChallenge): Promise<boolean> {
    if (this.token !== undefined && this.token.value !== refused) return true;
    this.token = undefined;
    const token = await this.obtain(parseWwwAuthenticate(challenge.wwwAuthenticate));
    return token.value !== refused;
  }

  private obtain(challenge: BearerChallenge | undefined): Promise<AccessToken> {
    this.obtaining ??= this.request(challenge).finally(() => {
      this.obtaining = undefined;
    });
    return this.obtaining;
  }

  private async request(challenge: BearerChallenge | undefined): Promise<AccessToken> {
    // A challenge that names its metadata is authoritative (RFC 9728 §5.1): discovery starts again from it.
    if (challenge?.resourceMetadata !== undefined && this.config.tokenUrl === undefined && this.config.issuer === undefined) this.endpoint = undefined;
    const endpoint = await this.tokenEndpoint(challenge);
    const parameters: Record<string, string> = { resource: endpoint.resource };
    if (this.config.scopes?.length) parameters.scope = this.config.scopes.join(' ');
    const openid = await loadOpenidClient();
    const obtainedAt = Date.now();
    const tokens = toTokenSet(await guardTokenRequest(() => openid.clientCredentialsGrant(endpoint.configuration, parameters)));
    this.token = {
      value: tokens.accessToken,
      tokenType: tokens.tokenType,
      obtainedAt,
      // RFC 6749 §5.1 expires_in is in whole seconds, and an `exp` of whole seconds can end up to one second sooner.
      ...(tokens.expiresInSeconds !== undefined ? { expiresAt: obtainedAt + Math.max(0, tokens.expiresInSeconds - 1) * 1000 } : {}),
      ...(tokens.scope !== undefined ? { scope: tokens.scope } : {}),
      audienceRestricted: true,
    };
    this.logger.info({ server: this.server, expiresInSeconds: tokens.expiresInSeconds }, 'obtained a client_credentials token');
    return this.token;
  }

  private tokenEndpoint(challenge: BearerChallenge | undefined): Promise<TokenEndpoint> {
    if (!this.endpoint) {
      this.endpoint = this.discover(challenge);
      this.endpoint.catch(() => {
        this.endpoint = undefined;
      });
    }
    return this.endpoint;
  }

  private async discover(challenge: BearerChallenge | undefined): Promise<TokenEndpoint> {
    const { tokenUrl, issuer } = this.config;
    let metadata: TokenEndpointMetadata;
    let resource = this.config.resource;
    if (tokenUrl !== undefined) {
      // No metadata: the token endpoint URL doubles as the issuer, so a private_key_jwt assertion names it as its
      // audience (RFC 7523 §3, item 3).
      metadata = { issuer: tokenUrl, tokenEndpoint: tokenUrl, raw: { issuer: tokenUrl, token_endpoint: tokenUrl } };
    } else if (issuer !== undefined) {
      metadata = await discoverTokenEndpoint(issuer, this.policy);
    } else {
      const prm = await discoverProtectedResource(this.serverUrl, challenge, this.policy);
      const first = prm?.authorizationServers[0];
      if (!prm || first === undefined) throw new NoTokenEndpointError(this.server);
      metadata = await discoverTokenEndpoint(first, this.policy);
      resource ??= prm.resource;
    }
    const openid = await loadOpenidClient();
    const configuration = new openid.Configuration(metadata.raw as oidc.ServerMetadata, this.config.clientId, undefined, await this.clientAuth(openid, metadata));
    configuration[openid.customFetch] = createGuardedFetch(this.policy) as oidc.CustomFetch;
    // The guarded fetch already refuses plain http except to loopback or where the operator allowed it.
    openid.allowInsecureRequests(configuration);
    return { configuration, resource: resource ?? canonicalResource(this.serverUrl) };
  }

  private async clientAuth(openid: typeof oidc, metadata: TokenEndpointMetadata): Promise<oidc.ClientAuth> {
    const key = this.config.privateKeyJwt;
    if (key) return openid.PrivateKeyJwt({ key: await importPKCS8(key.pem, key.alg), ...(key.kid ? { kid: key.kid } : {}) });
    const secret = this.config.clientSecret!;
    // RFC 8414 §2: without token_endpoint_auth_methods_supported the default is client_secret_basic.
    const method = this.config.tokenEndpointAuthMethod
      ?? (metadata.tokenEndpointAuthMethodsSupported?.includes('client_secret_basic') === false && metadata.tokenEndpointAuthMethodsSupported.includes('client_secret_post')
        ? 'client_secret_post'
        : 'client_secret_basic');
    return method === 'client_secret_post' ? openid.ClientSecretPost(secret) : clientSecretBasic(secret);
  }
}
