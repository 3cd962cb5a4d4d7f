import { discoverAuthorizationServer, fetchPolicyFor } from '../auth/discovery/index.js';
import type { InboundAuthConfig } from '../config/index.js';
import { TokenCheckUnavailableError } from './errors.js';

/** What the front door needs from its issuer's metadata (RFC 8414 section 2). */
export interface IssuerEndpoints {
  jwksUri?: URL;
  introspectionEndpoint?: URL;
}

/** After a failed discovery, requests within this window fail at once instead of each waiting on a dead issuer. */
const RETRY_AFTER_FAILURE_MS = 5_000;

/**
 * The issuer's endpoints, discovered once and kept (validated by `auth/discovery`: the document's `issuer` must equal
 * the configured one, RFC 8414 section 3.3). Discovery is lazy, so switchboard starts while its IdP is down; a
 * failure is retried by a later request, never cached for good.
 */
export class IssuerMetadata {
  private found: Promise<IssuerEndpoints> | undefined;
  private failedAt = 0;

  constructor(private readonly config: InboundAuthConfig, private readonly security: { allowHttp: boolean; allowPrivateHosts: string[] }) {}

  /** True when nothing needs discovering: the keys are configured and no introspection is. */
  get configuredOutright(): boolean {
    return this.config.jwksUri !== undefined && this.config.introspection === undefined;
  }

  endpoints(): Promise<IssuerEndpoints> {
    if (this.configuredOutright) return Promise.resolve({ jwksUri: new URL(this.config.jwksUri!) });
    if (this.found) return this.found;
    if (Date.now() - this.failedAt < RETRY_AFTER_FAILURE_MS) {
      return Promise.reject(new TokenCheckUnavailableError('metadata', `the metadata of the issuer ${this.config.issuer} could not be read moments ago`));
    }
    this.found = this.discover().catch((error: unknown) => {
      this.found = undefined;
      this.failedAt = Date.now();
      throw error instanceof TokenCheckUnavailableError ? error
        : new TokenCheckUnavailableError('metadata', `the metadata of the issuer ${this.config.issuer} could not be read: ${error instanceof Error ? error.message : String(error)}`);
    });
    return this.found;
  }

  private async discover(): Promise<IssuerEndpoints> {
    const policy = fetchPolicyFor(this.config.issuer, this.security);
    const metadata = await discoverAuthorizationServer(this.config.issuer, policy);
    const url = (field: string) => (typeof metadata.raw[field] === 'string' ? new URL(metadata.raw[field]) : undefined);
    const endpoints: IssuerEndpoints = {
      jwksUri: this.config.jwksUri ? new URL(this.config.jwksUri) : url('jwks_uri'),
      introspectionEndpoint: url('introspection_endpoint'),
    };
    if (this.config.introspection && !endpoints.introspectionEndpoint) {
      throw new TokenCheckUnavailableError('metadata', `inboundAuth.introspection is set, but the issuer ${this.config.issuer} publishes no introspection_endpoint`);
    }
    if (!endpoints.jwksUri && !this.config.introspection) {
      throw new TokenCheckUnavailableError('metadata', `the issuer ${this.config.issuer} publishes no jwks_uri; set inboundAuth.jwksUri or inboundAuth.introspection`);
    }
    return endpoints;
  }
}
