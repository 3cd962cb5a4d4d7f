import { oauthSettings, type Config, type CrossAppAccessConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { principalKey, type Principal } from '../principal/index.js';
import type { ClientIdentities } from './client-identity.js';
import { discoverAuthorizationServer, fetchPolicyFor, type AuthorizationServerMetadata } from './discovery/index.js';
import { CrossAppAccessError, TokenRequestError } from './errors.js';
import type { IdentityAssertion, IdentityAssertions } from './identity-assertions.js';
import { JWT_BEARER_GRANT, OAuthClient, type TokenSet } from './oauth-client.js';
import type { ServerAuthInfo, ServerInfoResolver } from './server-info.js';

const ID_JAG_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
const FAILURE_HOLD_MS = 10_000;

/** A token obtained by cross-app access, and the client it was issued to (kept with it, as a sign-in's grant is). */
export interface CrossAppToken {
  clientId: string;
  tokens: TokenSet;
}

/**
 * Cross-app access: the MCP enterprise-managed authorization extension (ext-auth, "Enterprise-Managed Authorization"),
 * an application of draft-ietf-oauth-identity-assertion-authz-grant. When an upstream's authorization server trusts
 * the enterprise IdP, switchboard gets the user's token for that upstream without a browser:
 *
 * 1. RFC 8693 token exchange at the IdP (the extension's section 4): the user's identity assertion as `subject_token`,
 *    `audience` the upstream authorization server's issuer, `resource` the upstream MCP server, for an ID-JAG;
 * 2. RFC 7523 JWT bearer grant at the upstream's authorization server (section 5) with the ID-JAG as `assertion`,
 *    switchboard authenticating as its client there (pre-registered, or its CIMD URL).
 *
 * It applies to a server whose `auth.crossAppAccess` is set, or whose issuer is in `crossAppAccess.issuers`. Any
 * failure is a CrossAppAccessError whose message says why; the caller falls back to a browser sign-in.
 */
export class CrossAppAccess {
  private idp: Promise<OAuthClient> | undefined;
  /** The last failure per principal and resource, with the assertion it was for: not asked again for a while. */
  private readonly failed = new Map<string, { at: number; assertion: string; error: CrossAppAccessError }>();

  constructor(
    private readonly config: Config,
    private readonly servers: ServerInfoResolver,
    private readonly clients: ClientIdentities,
    private readonly assertions: IdentityAssertions,
    private readonly logger: Logger,
  ) {}

  private get settings(): CrossAppAccessConfig | undefined {
    return this.config.crossAppAccess;
  }

  appliesTo(info: ServerAuthInfo): boolean {
    const settings = this.settings;
    if (!settings) return false;
    return oauthSettings(this.servers.remote(info.server))?.crossAppAccess === true || settings.issuers.includes(info.issuer);
  }

  /**
   * Both grants, for this principal and server. A failure is remembered for FAILURE_HOLD_MS with the assertion it was
   * for, so that every request of a server that waits for a sign-in does not ask the IdP again; a new assertion (the
   * user's client refreshed its token) is tried at once.
   */
  async obtain(principal: Principal, info: ServerAuthInfo): Promise<CrossAppToken> {
    const key = `${principalKey(principal)}\u0000${info.resource}`;
    const assertion = this.assertions.assertionFor(principal);
    const last = this.failed.get(key);
    if (last && assertion?.token === last.assertion && Date.now() - last.at < FAILURE_HOLD_MS) throw last.error;
    try {
      return await this.grant(principal, info, assertion);
    } catch (error) {
      if (error instanceof CrossAppAccessError && assertion) this.failed.set(key, { at: Date.now(), assertion: assertion.token, error });
      throw error;
    }
  }

  private async grant(principal: Principal, info: ServerAuthInfo, assertion: IdentityAssertion | undefined): Promise<CrossAppToken> {
    if (!assertion) {
      throw new CrossAppAccessError('no-identity', principal.kind === 'session' && this.config.inboundAuth
        ? 'with tokens.scope "session" switchboard keeps no identity of the user for this session; use tokens.scope "user"'
        : 'switchboard holds no valid identity of this user (their front door token expired or was never presented)');
    }
    // The extension's section 6: a resource authorization server that publishes its grant types must list jwt-bearer.
    const grantTypes = info.metadata.raw.grant_types_supported;
    if (Array.isArray(grantTypes) && !grantTypes.includes(JWT_BEARER_GRANT)) {
      throw new CrossAppAccessError('not-supported', `${info.issuer} does not offer the JWT bearer grant (RFC 7523)`);
    }
    const scope = info.defaultScope;
    let idJag: string;
    try {
      const idp = await this.idpClient();
      // The extension's section 4: audience MUST be the resource authorization server's issuer; resource the MCP server.
      const exchanged = await idp.exchangeToken({
        requested_token_type: ID_JAG_TOKEN_TYPE,
        audience: info.issuer,
        resource: info.resource,
        subject_token: assertion.token,
        subject_token_type: assertion.type,
        ...(scope ? { scope } : {}),
      });
      // Draft section 4.3.4: issued_token_type is REQUIRED and is the ID-JAG type.
      if (exchanged.issuedTokenType !== ID_JAG_TOKEN_TYPE) {
        throw new CrossAppAccessError('token-exchange', `the IdP answered with a ${exchanged.issuedTokenType ?? 'token of no stated type'}, not an ID-JAG`);
      }
      idJag = exchanged.token;
    } catch (error) {
      throw this.failure('token-exchange', 'the IdP refused the token exchange', error);
    }
    try {
      const client = await this.clients.clientFor(info);
      const tokens = await client.jwtBearer(idJag, info.resource, scope);
      this.failed.delete(`${principalKey(principal)}\u0000${info.resource}`);
      this.logger.info({ principal: principalKey(principal), server: info.server, issuer: info.issuer }, 'upstream token obtained by cross-app access');
      return { clientId: client.identity.clientId, tokens };
    } catch (error) {
      throw this.failure('jwt-bearer', `${info.issuer} refused the ID-JAG`, error);
    }
  }

  private failure(kind: 'token-exchange' | 'jwt-bearer', what: string, error: unknown): CrossAppAccessError {
    if (error instanceof CrossAppAccessError) return error;
    if (!(error instanceof TokenRequestError)) return new CrossAppAccessError(kind, `${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    // RFC 6749 section 5.2 codes are refusals; a 5xx or no answer at all is an outage.
    const outage = error.status === undefined || error.status >= 500;
    // TokenRequestError carries the error code and a capped description, never a token.
    const detail = `${what}${error.status ? ` (HTTP ${error.status})` : ''}. ${error.message}`;
    return new CrossAppAccessError(outage && kind === 'token-exchange' ? 'idp-unreachable' : kind, detail, { cause: error });
  }

  /** switchboard's client at the IdP: its token endpoint configured, or discovered once (RFC 8414). */
  private idpClient(): Promise<OAuthClient> {
    this.idp ??= this.buildIdpClient().catch((error: unknown) => {
      this.idp = undefined;
      throw new CrossAppAccessError('idp-unreachable', `the IdP's metadata could not be read: ${error instanceof Error ? error.message : String(error)}`);
    });
    return this.idp;
  }

  private async buildIdpClient(): Promise<OAuthClient> {
    const settings = this.settings!;
    const issuer = settings.idp ?? this.config.inboundAuth!.issuer;
    // The IdP is the operator's, not an upstream's: its own URL decides what the fetch policy lets through.
    const policy = fetchPolicyFor(issuer, { allowPrivateHosts: this.config.security.allowPrivateHosts, allowHttp: this.config.security.allowHttp });
    const metadata: AuthorizationServerMetadata = settings.tokenEndpoint
      ? {
        issuer, authorizationEndpoint: settings.tokenEndpoint, tokenEndpoint: settings.tokenEndpoint, codeChallengeMethodsSupported: ['S256'],
        clientIdMetadataDocumentSupported: false, authorizationResponseIssParameterSupported: false,
        raw: { issuer, token_endpoint: settings.tokenEndpoint },
      }
      : await discoverAuthorizationServer(issuer, policy);
    return OAuthClient.create(metadata, { clientId: settings.clientId, clientSecret: settings.clientSecret, method: 'preregistered' }, policy);
  }
}
