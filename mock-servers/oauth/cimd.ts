import { UntrustedAuthorizationRequestError } from './errors.js';
import type { AuthServerState, ClientRecord } from './state.js';

const FETCH_TIMEOUT_MS = 5000;

/** A client_id that is an http(s) URL names a Client ID Metadata Document. */
export function isMetadataDocumentClientId(clientId: string): boolean {
  try {
    const url = new URL(clientId);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * Fetches and checks a Client ID Metadata Document
 * (draft-ietf-oauth-client-id-metadata-document): the document's `client_id`
 * must equal the URL it came from, and `redirect_uri` must be one it lists.
 * Plain http is accepted (unlike the draft's https-only rule) so tests can
 * serve documents from loopback.
 */
export async function loadMetadataDocumentClient(clientId: string, state: AuthServerState): Promise<ClientRecord> {
  state.cimdFetches.push(clientId);
  state.counts.cimdFetches += 1;
  let document: unknown;
  try {
    // Redirects are not followed: the document must live at the client_id URL itself.
    const response = await fetch(clientId, { redirect: 'manual', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } });
    if (response.status !== 200) throw new Error(`status ${response.status}`);
    document = await response.json();
  } catch (error) {
    throw new UntrustedAuthorizationRequestError('invalid_client', `client metadata document could not be fetched (${(error as Error).message})`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new UntrustedAuthorizationRequestError('invalid_client', 'client metadata document is not a JSON object');
  }
  const doc = document as Record<string, unknown>;
  if (doc.client_id !== clientId) {
    throw new UntrustedAuthorizationRequestError('invalid_client', 'client metadata document client_id does not match its URL');
  }
  const redirectUris = doc.redirect_uris;
  if (!Array.isArray(redirectUris) || redirectUris.length === 0 || !redirectUris.every((u): u is string => typeof u === 'string')) {
    throw new UntrustedAuthorizationRequestError('invalid_client', 'client metadata document has no redirect_uris');
  }
  const method = doc.token_endpoint_auth_method;
  // The draft forbids shared secrets for metadata-document clients.
  if (method !== undefined && method !== 'none') {
    throw new UntrustedAuthorizationRequestError('invalid_client', `unsupported token_endpoint_auth_method ${String(method)} for a metadata-document client`);
  }
  const client: ClientRecord = {
    clientId,
    redirectUris,
    tokenEndpointAuthMethod: 'none',
    grantTypes: Array.isArray(doc.grant_types) ? doc.grant_types.filter((g): g is string => typeof g === 'string') : ['authorization_code', 'refresh_token'],
    ...(typeof doc.client_name === 'string' ? { clientName: doc.client_name } : {}),
    source: 'cimd',
    registeredAt: state.clock.now(),
    metadata: doc,
  };
  state.clients.set(clientId, client);
  return client;
}
