import { ID_JAG_TOKEN_TYPE } from './cross-app-access.js';
import { JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT } from './state.js';
import type { MetadataEndpoint, ResolvedAuthServerOptions } from './options.js';

export interface AuthServerEndpoints {
  authorization: string;
  token: string;
  registration: string;
  revocation: string;
  introspection: string;
  jwks: string;
}

/** Endpoints live under the issuer, so a path issuer (`/tenant1`) keeps tenants apart on one origin. */
export function endpointsFor(issuer: string): AuthServerEndpoints {
  return {
    authorization: `${issuer}/authorize`,
    token: `${issuer}/token`,
    registration: `${issuer}/register`,
    revocation: `${issuer}/revoke`,
    introspection: `${issuer}/introspect`,
    jwks: `${issuer}/jwks`,
  };
}

/**
 * Paths (on the issuer's origin) where discovery answers.
 * RFC 8414 §3.1: the well-known segment goes between host and issuer path.
 * OIDC Discovery 1.0 §4 appends it to the issuer instead; MCP clients try both.
 */
export function metadataPaths(issuerPath: string, enabled: readonly MetadataEndpoint[]): string[] {
  const paths = new Set<string>();
  if (enabled.includes('oauth')) paths.add(`/.well-known/oauth-authorization-server${issuerPath}`);
  if (enabled.includes('oidc')) paths.add(`/.well-known/openid-configuration${issuerPath}`);
  if (enabled.includes('oidc-appended')) paths.add(`${issuerPath}/.well-known/openid-configuration`);
  return [...paths];
}

export function buildMetadata(issuer: string, options: ResolvedAuthServerOptions): Record<string, unknown> {
  const endpoints = endpointsFor(issuer);
  const metadata: Record<string, unknown> = {
    issuer,
    authorization_endpoint: endpoints.authorization,
    token_endpoint: endpoints.token,
    ...(options.dcr ? { registration_endpoint: endpoints.registration } : {}),
    revocation_endpoint: endpoints.revocation,
    introspection_endpoint: endpoints.introspection,
    jwks_uri: endpoints.jwks,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', TOKEN_EXCHANGE_GRANT, JWT_BEARER_GRANT],
    // draft-ietf-oauth-identity-assertion-authz-grant section 7 (IdP) and the MCP extension's section 6 (resource AS).
    identity_chaining_requested_token_types_supported: [ID_JAG_TOKEN_TYPE],
    authorization_grant_profiles_supported: ['urn:ietf:params:oauth:grant-profile:id-jag'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    token_endpoint_auth_signing_alg_values_supported: ['RS256', 'ES256'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint_auth_methods_supported: ['none'],
    ...(options.advertiseS256 ? { code_challenge_methods_supported: options.pkce === 'optional' ? ['S256', 'plain'] : ['S256'] } : {}),
    ...(options.scopesSupported ? { scopes_supported: [...options.scopesSupported] } : {}),
    ...(options.cimd ? { client_id_metadata_document_supported: true } : {}),
    ...(options.issParameter ? { authorization_response_iss_parameter_supported: true } : {}),
    // Fields OIDC discovery requires, so strict OIDC parsers accept the document.
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256'],
  };
  for (const [key, value] of Object.entries(options.metadataOverrides)) {
    if (value === undefined) delete metadata[key];
    else metadata[key] = value;
  }
  return metadata;
}
