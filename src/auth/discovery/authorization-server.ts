/** Authorization server metadata discovery (RFC 8414, OpenID Connect Discovery 1.0) as MCP 2025-11-25 prescribes it. */
import {
  BlockedUrlError,
  InvalidMetadataError,
  IssuerMismatchError,
  MetadataNotFoundError,
  PkceNotSupportedError,
} from '../errors.js';
import { fetchDocument, Fields } from './document.js';
import { openGuardedFetch } from './guarded-fetch.js';
import { checkUrl, type FetchPolicy } from './policy.js';

/** What a grant without a browser (client_credentials) needs of an authorization server. */
export interface TokenEndpointMetadata {
  issuer: string;
  tokenEndpoint: string;
  tokenEndpointAuthMethodsSupported?: string[];
  /** The whole document (e.g. for openid-client's `new Configuration(raw, ...)`); its endpoint URLs are all checked. */
  raw: Record<string, unknown>;
}

export interface AuthorizationServerMetadata extends TokenEndpointMetadata {
  authorizationEndpoint: string;
  registrationEndpoint?: string;
  revocationEndpoint?: string;
  scopesSupported?: string[];
  /** Always contains "S256": discovery refuses servers that do not advertise it. */
  codeChallengeMethodsSupported: string[];
  clientIdMetadataDocumentSupported: boolean;
  authorizationResponseIssParameterSupported: boolean;
}

/** Every metadata field that names a URL our client or the user's browser contacts (RFC 8414 section 2, OIDC Discovery section 3, RFC 8628, RFC 9126, RFC 9728). */
const ENDPOINT_FIELDS = [
  'authorization_endpoint',
  'token_endpoint',
  'registration_endpoint',
  'revocation_endpoint',
  'introspection_endpoint',
  'jwks_uri',
  'userinfo_endpoint',
  'end_session_endpoint',
  'device_authorization_endpoint',
  'pushed_authorization_request_endpoint',
  'backchannel_authentication_endpoint',
] as const;

/**
 * Finds and validates the metadata of the authorization server whose issuer identifier is `issuer`. Candidates are
 * tried in the MCP 2025-11-25 order; the first that answers with a document decides (an invalid document is an
 * error, not a reason to try the next candidate).
 */
export async function discoverAuthorizationServer(issuer: string, policy: FetchPolicy): Promise<AuthorizationServerMetadata> {
  const found = await findDocument(issuer, policy);
  return validate(found.document, found.source, { exactly: issuer }, policy);
}

/**
 * The same discovery for the client_credentials grant (RFC 6749 §4.4): the token endpoint is all it needs, so neither
 * an authorization endpoint nor PKCE (a code grant's protection) is required. Issuer and endpoints are checked alike.
 */
export async function discoverTokenEndpoint(issuer: string, policy: FetchPolicy): Promise<TokenEndpointMetadata> {
  const found = await findDocument(issuer, policy);
  return validateTokenEndpoint(new Fields(found.document, found.source), found.source, { exactly: issuer }, policy);
}

async function findDocument(issuer: string, policy: FetchPolicy): Promise<{ document: Record<string, unknown>; source: URL }> {
  const issuerUrl = parseIssuer(issuer, policy);
  const candidates = candidateUrls(issuerUrl);
  const fetcher = openGuardedFetch(policy);
  try {
    for (const candidate of candidates) {
      const outcome = await fetchDocument(fetcher.fetch, candidate);
      if (outcome.found) return { document: outcome.document, source: candidate };
    }
  } finally {
    await fetcher.close();
  }
  throw new MetadataNotFoundError('authorization server metadata', candidates);
}

/**
 * MCP 2025-03-26 back-compat (Authorization, Server Metadata Discovery and Fallbacks), for a server that publishes no
 * protected resource metadata and whose authorization server is not pinned: the "authorization base URL" is the MCP
 * server's origin. Its RFC 8414 metadata (or OIDC discovery document) names an issuer we could not know beforehand,
 * so the RFC 8414 section 3.3 equality check becomes: the issuer must be on that same origin. A document can then
 * speak only for the origin that serves it and the MCP server, never impersonate another server (mix-up).
 * When the origin publishes no metadata at all, the 2025-03-26 default endpoints `/authorize`, `/token` and
 * `/register` at the origin are used, with PKCE S256 as always (2025-03-26 requires PKCE of every client).
 */
export async function discoverLegacyAuthorizationServer(serverUrl: string, policy: FetchPolicy): Promise<AuthorizationServerMetadata> {
  const origin = checkUrl(policy, serverUrl).origin;
  const candidates = candidateUrls(new URL(origin));
  const fetcher = openGuardedFetch(policy);
  try {
    for (const candidate of candidates) {
      const outcome = await fetchDocument(fetcher.fetch, candidate);
      if (outcome.found) return validate(outcome.document, candidate, { sameOriginAs: origin }, policy);
    }
  } finally {
    await fetcher.close();
  }
  const raw = {
    issuer: origin,
    authorization_endpoint: `${origin}/authorize`,
    token_endpoint: `${origin}/token`,
    registration_endpoint: `${origin}/register`,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
  };
  return {
    issuer: origin,
    authorizationEndpoint: raw.authorization_endpoint,
    tokenEndpoint: raw.token_endpoint,
    registrationEndpoint: raw.registration_endpoint,
    codeChallengeMethodsSupported: ['S256'],
    clientIdMetadataDocumentSupported: false,
    authorizationResponseIssParameterSupported: false,
    raw,
  };
}

function parseIssuer(issuer: string, policy: FetchPolicy): URL {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new BlockedUrlError(issuer, 'invalid-url', 'the issuer is not a valid URL');
  }
  checkUrl(policy, url);
  // RFC 8414 section 2: the issuer identifier has no query or fragment.
  if (url.search !== '' || url.hash !== '' || issuer.includes('?') || issuer.includes('#')) {
    throw new InvalidMetadataError(url, 'the issuer identifier must not have a query or fragment');
  }
  return url;
}

function candidateUrls(issuer: URL): URL[] {
  // Built by concatenation on the origin: `new URL(path, origin)` would read a path starting with "//" as a host.
  const origin = issuer.origin;
  // RFC 8414 section 3.1: a terminating "/" of the issuer path is removed before inserting the well-known suffix.
  const path = issuer.pathname.endsWith('/') ? issuer.pathname.slice(0, -1) : issuer.pathname;
  if (path === '') {
    return [new URL(`${origin}/.well-known/oauth-authorization-server`), new URL(`${origin}/.well-known/openid-configuration`)];
  }
  return [
    new URL(`${origin}/.well-known/oauth-authorization-server${path}`), // RFC 8414 section 3.1
    new URL(`${origin}/.well-known/openid-configuration${path}`), // RFC 8414 section 5 applied to OIDC
    new URL(`${origin}${path}/.well-known/openid-configuration`), // OpenID Connect Discovery 1.0 section 4
  ];
}

/** The issuer a document must name: the one looked up, or (MCP 2025-03-26 back-compat) any on the server's origin. */
type ExpectedIssuer = { exactly: string } | { sameOriginAs: string };

function validate(document: Record<string, unknown>, source: URL, expected: ExpectedIssuer, policy: FetchPolicy): AuthorizationServerMetadata {
  const fields = new Fields(document, source);
  const issuer = checkIssuer(fields, source, expected);

  // RFC 8414 section 2: authorization_endpoint and token_endpoint are required for the code grant we use.
  const authorizationEndpoint = fields.requiredString('authorization_endpoint');
  fields.requiredString('token_endpoint');

  // MCP 2025-11-25 Authorization Code Protection: clients MUST verify PKCE support from metadata and refuse to
  // proceed when code_challenge_methods_supported is absent (for OIDC Discovery too); S256 is the method we use.
  const codeChallengeMethodsSupported = fields.optionalStringArray('code_challenge_methods_supported');
  if (codeChallengeMethodsSupported === undefined || !codeChallengeMethodsSupported.includes('S256')) {
    throw new PkceNotSupportedError(issuer);
  }

  const base = validateTokenEndpoint(fields, source, expected, policy);
  const registrationEndpoint = fields.optionalString('registration_endpoint');
  const revocationEndpoint = fields.optionalString('revocation_endpoint');
  const scopesSupported = fields.optionalStringArray('scopes_supported');
  return {
    ...base,
    authorizationEndpoint,
    ...(registrationEndpoint !== undefined ? { registrationEndpoint } : {}),
    ...(revocationEndpoint !== undefined ? { revocationEndpoint } : {}),
    ...(scopesSupported !== undefined ? { scopesSupported } : {}),
    codeChallengeMethodsSupported,
    // MCP 2025-11-25 Client ID Metadata Documents (Discovery).
    clientIdMetadataDocumentSupported: fields.optionalBoolean('client_id_metadata_document_supported') ?? false,
    // RFC 9207 section 3.
    authorizationResponseIssParameterSupported: fields.optionalBoolean('authorization_response_iss_parameter_supported') ?? false,
  };
}

/** The issuer, the token endpoint and every endpoint against the fetch policy: what any grant relies on. */
function validateTokenEndpoint(fields: Fields, source: URL, expected: ExpectedIssuer, policy: FetchPolicy): TokenEndpointMetadata {
  const issuer = checkIssuer(fields, source, expected);
  const tokenEndpoint = fields.requiredString('token_endpoint');
  // Every endpoint is checked against the fetch policy now: a public server must not route the token request, the
  // registration or the user's browser to a private address or a non-http scheme.
  for (const name of ENDPOINT_FIELDS) {
    const value = fields.optionalString(name);
    if (value !== undefined) fields.endpoint(policy, name, value);
  }
  // RFC 8705 section 5: mTLS aliases are endpoints too.
  const aliases = fields.optionalObject('mtls_endpoint_aliases');
  if (aliases) {
    const aliasFields = new Fields(aliases, source);
    for (const name of Object.keys(aliases)) {
      fields.endpoint(policy, `mtls_endpoint_aliases.${name.slice(0, 64)}`, aliasFields.requiredString(name));
    }
  }
  const tokenEndpointAuthMethodsSupported = fields.optionalStringArray('token_endpoint_auth_methods_supported');
  return { issuer, tokenEndpoint, ...(tokenEndpointAuthMethodsSupported !== undefined ? { tokenEndpointAuthMethodsSupported } : {}), raw: fields.document };
}

function checkIssuer(fields: Fields, source: URL, expected: ExpectedIssuer): string {
  // RFC 8414 section 3.3 / OIDC Discovery section 4.3: the issuer must be identical, character for character, to the
  // one we looked up; otherwise the document may impersonate another server (mix-up attacks).
  const documentIssuer = fields.requiredString('issuer');
  if ('exactly' in expected && documentIssuer !== expected.exactly) throw new IssuerMismatchError(expected.exactly, documentIssuer, source);
  if ('sameOriginAs' in expected) {
    // RFC 8414 section 2: a URL without query or fragment; here also on the origin that served the document.
    const parsed = URL.canParse(documentIssuer) ? new URL(documentIssuer) : undefined;
    if (!parsed || parsed.origin !== expected.sameOriginAs || parsed.search !== '' || documentIssuer.includes('#') || documentIssuer.includes('?')) {
      throw new IssuerMismatchError(expected.sameOriginAs, documentIssuer, source);
    }
  }
  return documentIssuer;
}
