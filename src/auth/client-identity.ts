import { oauthSettings } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { TokenStore } from '../store/index.js';
import type { CallbackAddress } from './callback-address.js';
import { NoClientIdentityError } from './errors.js';
import { OAuthClient, registerClient, type ClientIdentity } from './oauth-client.js';
import type { ServerAuthInfo, ServerInfoResolver } from './server-info.js';

/**
 * How switchboard identifies itself to each authorization server (MCP 2025-11-25 authorization, client registration):
 * a client the operator registered, else its client ID metadata document (CIMD), else dynamic client registration
 * (RFC 7591), done once per issuer and redirect URI and kept in the store.
 */
export class ClientIdentities {
  private readonly clients = new Map<string, Promise<OAuthClient>>();

  constructor(
    private readonly servers: ServerInfoResolver,
    private readonly store: TokenStore,
    private readonly address: CallbackAddress,
    private readonly logger: Logger,
  ) {}

  /** The client metadata document switchboard serves for CIMD (draft-ietf-oauth-client-id-metadata-document). */
  metadataDocument(): Record<string, unknown> {
    return {
      client_id: this.address.clientMetadataUrl,
      client_name: 'switchboard',
      client_uri: this.address.publicUrl,
      redirect_uris: [this.address.redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  /**
   * The OAuth client for a server's issuer: one identity per issuer and redirect URI, found once. `knownClientId` is
   * the client a sign-in or grant was made with: the code and refresh token belong to it, whichever replica asks.
   */
  clientFor(info: ServerAuthInfo, knownClientId?: string): Promise<OAuthClient> {
    const auth = oauthSettings(this.servers.remote(info.server));
    const key = `${info.issuer}\u0000${auth?.clientId ?? ''}\u0000${knownClientId ?? ''}`;
    let client = this.clients.get(key);
    if (!client) {
      client = this.identify(info, knownClientId).then((identity) => OAuthClient.create(info.metadata, identity, this.servers.policyFor(info.server)));
      client.catch(() => this.clients.delete(key));
      this.clients.set(key, client);
    }
    return client;
  }

  private async identify(info: ServerAuthInfo, knownClientId: string | undefined): Promise<ClientIdentity> {
    const auth = oauthSettings(this.servers.remote(info.server));
    if (auth?.clientId) return { clientId: auth.clientId, clientSecret: auth.clientSecret, method: 'preregistered' };
    const redirectUri = this.address.redirectUri;
    // CIMD needs a client_id the authorization server can fetch: an https URL.
    const cimdUrl = auth?.clientMetadataUrl ?? (this.address.publicUrl.startsWith('https://') ? this.address.clientMetadataUrl : undefined);
    if (info.metadata.clientIdMetadataDocumentSupported && cimdUrl && (!knownClientId || knownClientId === cimdUrl)) {
      return { clientId: cimdUrl, method: 'cimd' };
    }
    const registered = await this.store.getRegistration(info.issuer, redirectUri);
    if (registered && (!knownClientId || registered.clientId === knownClientId)) {
      return { clientId: registered.clientId, clientSecret: registered.clientSecret, method: 'dcr' };
    }
    // A grant made under another registration (another redirect URI, e.g. a replica with another public URL) is
    // refreshed with its own client id: registered as a public client, it needs no secret.
    if (knownClientId) return { clientId: knownClientId, method: 'dcr' };
    if (!info.metadata.registrationEndpoint) throw new NoClientIdentityError(info.issuer);
    return this.store.withLock(`register\u0000${info.issuer}`, async () => {
      const again = await this.store.getRegistration(info.issuer, redirectUri);
      if (again) return { clientId: again.clientId, clientSecret: again.clientSecret, method: 'dcr' as const };
      const identity = await registerClient(info.metadata, {
        client_name: 'switchboard',
        // SEP-837 (MCP 2026-07-28 authorization): a client MUST name its application_type in DCR. OpenID Connect
        // Dynamic Client Registration 1.0 section 2: "web" clients redirect to https URLs, "native" ones to loopback
        // http (RFC 8252), as switchboard does when it has no https public URL.
        application_type: redirectUri.startsWith('https://') ? 'web' : 'native',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      }, this.servers.policyFor(info.server));
      await this.store.putRegistration({ issuer: info.issuer, redirectUri, clientId: identity.clientId, clientSecret: identity.clientSecret, method: 'dcr', registeredAt: Date.now() });
      this.logger.info({ issuer: info.issuer }, 'registered with the authorization server (dynamic client registration)');
      return identity;
    });
  }
}
