import type { FrontDoorError } from './errors.js';

/** RFC 7230 section 3.2.6 quoted-string: `\` and `"` escaped; anything outside printable ASCII becomes a space. */
function quoted(value: string): string {
  return `"${value.replaceAll(/[\\"]/g, (c) => `\\${c}`).replaceAll(/[^\x20-\x7E]/g, ' ')}"`;
}

/**
 * The `WWW-Authenticate` challenge of a refusal (RFC 6750 section 3). A request without a token gets no error code
 * (section 3: "SHOULD NOT include an error code"); `resource_metadata` (RFC 9728 section 5.1) tells an MCP client
 * where to start its sign-in, and `scope` which scopes to ask for (MCP 2025-11-25 basic/authorization).
 */
export function challenge(refusal: FrontDoorError, options: { resourceMetadataUrl: string; requiredScopes: readonly string[] }): string {
  const parts = [`realm=${quoted('switchboard')}`];
  if (refusal.code && refusal.code !== 'temporarily_unavailable') {
    parts.push(`error=${quoted(refusal.code)}`, `error_description=${quoted(refusal.message)}`);
  }
  if (options.requiredScopes.length > 0) parts.push(`scope=${quoted(options.requiredScopes.join(' '))}`);
  parts.push(`resource_metadata=${quoted(options.resourceMetadataUrl)}`);
  return `Bearer ${parts.join(', ')}`;
}
