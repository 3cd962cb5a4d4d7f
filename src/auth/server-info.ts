import { isRemote, oauthSettings, type Config, type RemoteServerConfig } from '../config/index.js';
import {
  discoverAuthorizationServer,
  discoverLegacyAuthorizationServer,
  discoverProtectedResource,
  fetchPolicyFor,
  type AuthorizationServerMetadata,
  type BearerChallenge,
  type FetchPolicy,
} from './discovery/index.js';
import { IssuerMismatchError, IssuerNotAllowedError, MetadataNotFoundError, NotRemoteServerError } from './errors.js';

const DISCOVERY_TTL_MS = 5 * 60_000;

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

/**
 * Which authorization server a server uses and how to reach it: protected resource metadata (RFC 9728), then the
 * authorization server's metadata (RFC 8414), or what the operator configured. Cached per server for a few minutes.
 */
export class ServerInfoResolver {
  private readonly cache = new Map<string, { at: number; info: Promise<ServerAuthInfo> }>();
  /** The issuer and resource discovery last found for each server, kept past the cache's TTL: where its tokens are. */
  private readonly lastFound = new Map<string, ServerIdentity>();

  constructor(private readonly config: Config) {}

  /** The server was removed or reconfigured: what discovery found for it is found again. */
  forget(server: string): void {
    for (const key of this.cache.keys()) if (key.startsWith(`${server}\u0000`)) this.cache.delete(key);
    this.lastFound.delete(server);
  }

  /**
   * Where a server's tokens are kept (its issuer and resource): what discovery last found, else discovery with `config`
   * (a removed server is no longer in the configuration). Read what is known before `forget`.
   */
  identify(server: string, config: RemoteServerConfig): Promise<ServerIdentity> {
    const known = this.lastFound.get(server);
    return known ? Promise.resolve(known) : this.discover(server, config, undefined).then(identityOf);
  }

  /** The configuration of a server switchboard may sign in to. */
  remote(server: string): RemoteServerConfig {
    const config = this.config.mcpServers[server];
    if (!config || !isRemote(config)) throw new NotRemoteServerError(server);
    return config;
  }

  /** The fetch policy for all authorization traffic on behalf of a server (discovery, registration, tokens). */
  policyFor(server: string): FetchPolicy {
    return this.policyAt(this.remote(server).url);
  }

  /**
   * Discovery for a server that asked for a sign-in; cached per server (and challenge metadata URL) for a few minutes.
   * `issuer` is for the OAuth callback: the metadata of the issuer the sign-in started with, found without the
   * challenge (whose resource_metadata URL the callback does not know), whenever and wherever the callback arrives.
   * `fresh`: the cache is not used (and is replaced): the server refused a token that its authorization server issued,
   * and may name another one now (SEP-2352, MCP 2026-07-28 basic/authorization: the client discovers the server's
   * authorization servers again and does not reuse one server's credentials at another).
   */
  resolve(server: string, challenge?: BearerChallenge, options: { issuer?: string; fresh?: boolean } = {}): Promise<ServerAuthInfo> {
    const { issuer, fresh = false } = options;
    const key = `${server}\u0000${challenge?.resourceMetadata ?? ''}\u0000${issuer ?? ''}`;
    const cached = this.cache.get(key);
    if (cached && !fresh && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.info;
    const info = this.discover(server, this.remote(server), challenge, issuer);
    this.cache.set(key, { at: Date.now(), info });
    info.then((found) => this.lastFound.set(server, identityOf(found)), () => this.cache.delete(key));
    return info;
  }

  private policyAt(url: string): FetchPolicy {
    return fetchPolicyFor(url, { allowPrivateHosts: this.config.security.allowPrivateHosts, allowHttp: this.config.security.allowHttp });
  }

  private async discover(server: string, config: RemoteServerConfig, challenge: BearerChallenge | undefined, knownIssuer?: string): Promise<ServerAuthInfo> {
    const auth = oauthSettings(config);
    const policy = this.policyAt(config.url);
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
}

/** Where a server's tokens are kept: the grant at its issuer, the access token for its resource. */
export interface ServerIdentity {
  issuer: string;
  resource: string;
}

function identityOf(info: ServerAuthInfo): ServerIdentity {
  return { issuer: info.issuer, resource: info.resource };
}

/** MCP 2025-11-25 authorization, canonical server URI: lowercase scheme and host, no fragment. */
export function canonicalResource(url: string): string {
  const parsed = new URL(url);
  parsed.hash = '';
  return parsed.href;
}
