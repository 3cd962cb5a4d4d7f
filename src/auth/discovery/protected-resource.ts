/** Protected resource metadata discovery (RFC 9728) as MCP 2025-11-25 basic/authorization prescribes it. */
import { BlockedUrlError, InvalidMetadataError, MetadataNotFoundError, ResourceMismatchError } from '../errors.js';
import { fetchDocument, Fields } from './document.js';
import { openGuardedFetch } from './guarded-fetch.js';
import { checkUrl, type FetchPolicy } from './policy.js';
import type { BearerChallenge } from './www-authenticate.js';

export interface ProtectedResourceMetadata {
  /** The resource identifier, as the document states it (already checked against the server URL). */
  resource: string;
  /** Issuer identifiers, in the document's order; never empty. */
  authorizationServers: string[];
  scopesSupported?: string[];
  /** The whole document, for fields this module does not read. Not validated beyond the fields above. */
  raw: Record<string, unknown>;
}

const WELL_KNOWN = '/.well-known/oauth-protected-resource';
const MCP_PROTOCOL_VERSION = '2025-11-25';

/**
 * Finds and validates the protected resource metadata of the MCP server at `serverUrl`.
 *
 * Returns undefined when the server publishes none (every well-known candidate answered 4xx): the caller then uses a
 * pinned issuer, or the server origin as issuer (MCP 2025-11-25 back-compat rule). A `resource_metadata` URL from
 * the challenge is authoritative: when it does not answer with a document, that is a MetadataNotFoundError, not a
 * reason to guess elsewhere.
 */
export async function discoverProtectedResource(
  serverUrl: string,
  challenge: BearerChallenge | undefined,
  policy: FetchPolicy,
): Promise<ProtectedResourceMetadata | undefined> {
  const server = checkUrl(policy, serverUrl);
  const candidates = candidateUrls(server, challenge, policy);
  const fromChallenge = challenge?.resourceMetadata !== undefined;
  const fetcher = openGuardedFetch(policy);
  try {
    for (const candidate of candidates) {
      // MCP 2025-11-25 (Protocol Version Header): requests to the MCP server carry the negotiated version.
      const outcome = await fetchDocument(fetcher.fetch, candidate, { 'mcp-protocol-version': MCP_PROTOCOL_VERSION });
      if (outcome.found) return validate(outcome.document, candidate, acceptedResources(server, candidate, fromChallenge), policy);
    }
  } finally {
    await fetcher.close();
  }
  if (fromChallenge) throw new MetadataNotFoundError('protected resource metadata', candidates);
  return undefined;
}

function candidateUrls(server: URL, challenge: BearerChallenge | undefined, policy: FetchPolicy): URL[] {
  // RFC 9728 section 5.1 / MCP 2025-11-25 (Protected Resource Metadata Discovery Requirements): the URL in the
  // challenge is used when present; the well-known locations only otherwise.
  if (challenge?.resourceMetadata !== undefined) {
    let url: URL;
    try {
      url = new URL(challenge.resourceMetadata);
    } catch {
      throw new BlockedUrlError(challenge.resourceMetadata, 'invalid-url', 'resource_metadata in WWW-Authenticate is not a valid URL');
    }
    return [checkUrl(policy, url)];
  }
  // RFC 9728 section 3.1 and MCP 2025-11-25 (Protected Resource Metadata Discovery Requirements): the well-known
  // suffix goes between the host and the path (a trailing slash of the path is dropped, as RFC 8414 section 3.1 does
  // for issuers); then the root. The query is not carried over: it may hold a credential.
  // Built by concatenation on the origin: `new URL(path, origin)` would read a path starting with "//" as a host.
  const path = server.pathname.endsWith('/') ? server.pathname.slice(0, -1) : server.pathname;
  const urls: URL[] = [];
  if (path !== '') urls.push(new URL(`${server.origin}${WELL_KNOWN}${path}`));
  urls.push(new URL(`${server.origin}${WELL_KNOWN}`));
  return urls;
}

/**
 * RFC 9728 section 3.3: the `resource` must be identical to the resource identifier into which the well-known suffix
 * was inserted, or, for a document named by `resource_metadata`, to the URL the request went to. So the server URL is
 * always right, and the document at the root well-known URL (`/.well-known/oauth-protected-resource`, no path) may
 * also describe the resource identified by the origin itself: MCP 2025-11-25 has clients fall back to it.
 */
function acceptedResources(server: URL, source: URL, fromChallenge: boolean): URL[] {
  if (fromChallenge || source.pathname !== WELL_KNOWN) return [server];
  return [server, new URL(server.origin)];
}

function validate(document: Record<string, unknown>, source: URL, accepted: readonly URL[], policy: FetchPolicy): ProtectedResourceMetadata {
  const server = accepted[0]!;
  const fields = new Fields(document, source);
  const resource = fields.requiredString('resource');
  let resourceUrl: URL;
  try {
    resourceUrl = new URL(resource);
  } catch {
    throw new InvalidMetadataError(source, 'resource is not a valid URL');
  }
  // RFC 8707 section 2: a resource identifier has no fragment.
  if (resource.includes('#')) throw new InvalidMetadataError(source, 'resource must not have a fragment');
  // RFC 9728 section 3.3: the resource in the metadata must be the resource we asked about, or the document must
  // not be used (it may have been planted to send our tokens elsewhere).
  if (!accepted.some((expected) => sameResource(resourceUrl, expected))) throw new ResourceMismatchError(server.href, resource, source);

  const servers = document['authorization_servers'];
  // RFC 9728 section 2 makes authorization_servers optional; MCP 2025-11-25 requires at least one.
  if (!Array.isArray(servers) || servers.length === 0 || !servers.every((s) => typeof s === 'string')) {
    throw new InvalidMetadataError(source, 'authorization_servers must be a non-empty array of strings');
  }
  const authorizationServers = (servers as string[]).map((issuer) => {
    // RFC 8414 section 2: an issuer identifier is a URL with no query or fragment.
    fields.endpoint(policy, 'authorization_servers', issuer);
    if (new URL(issuer).search !== '' || issuer.includes('?')) {
      throw new InvalidMetadataError(source, 'authorization_servers entries must not have a query');
    }
    return issuer;
  });
  const scopesSupported = fields.optionalStringArray('scopes_supported');
  return {
    resource,
    authorizationServers,
    ...(scopesSupported !== undefined ? { scopesSupported } : {}),
    raw: document,
  };
}

/**
 * Canonical comparison (MCP 2025-11-25 Canonical Server URI, which asks to accept uppercase scheme and host; RFC 3986
 * sections 6.2.2-6.2.3): the URL parser lowercases scheme and host and drops default ports; fragments are ignored.
 * Path and query compare exactly. The metadata may name the server URL exactly or without its trailing slash.
 */
function sameResource(resource: URL, server: URL): boolean {
  const canonical = (u: URL) => {
    const copy = new URL(u.href);
    copy.hash = '';
    return copy.href;
  };
  const expected = canonical(server);
  const actual = canonical(resource);
  return actual === expected || (expected.endsWith('/') && actual === expected.slice(0, -1));
}
