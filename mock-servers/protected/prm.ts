import type { PrmMode } from './options.js';

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** RFC 9728 §3.1: the well-known segment goes between host and resource path. */
export function prmPaths(mcpPath: string, mode: PrmMode): { served: string[]; advertised: string | undefined } {
  const pathAware = `${WELL_KNOWN}${mcpPath === '/' ? '' : mcpPath}`;
  switch (mode) {
    case 'header':
      return { served: [pathAware], advertised: pathAware };
    case 'path-aware':
      return { served: [pathAware], advertised: undefined };
    case 'root':
      return { served: [WELL_KNOWN], advertised: undefined };
    case 'none':
      return { served: [], advertised: undefined };
  }
}

export function buildPrm(input: { resource: string; issuer: string; name: string; scopes: string[]; overrides: Record<string, unknown> }): Record<string, unknown> {
  const document: Record<string, unknown> = {
    resource: input.resource,
    authorization_servers: [input.issuer],
    ...(input.scopes.length > 0 ? { scopes_supported: input.scopes } : {}),
    bearer_methods_supported: ['header'],
    resource_name: input.name,
  };
  for (const [key, value] of Object.entries(input.overrides)) {
    if (value === undefined) delete document[key];
    else document[key] = value;
  }
  return document;
}
