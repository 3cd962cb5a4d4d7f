import type { Prompt, Resource, ResourceTemplateType as ResourceTemplate, Tool } from '@modelcontextprotocol/client';

/**
 * connecting: first attempt or a retry is under way. connected: usable. unreachable: the network or process is not
 * answering (retried with backoff). failed: it answered, but not as a usable MCP server (retried with backoff).
 * auth_required / reauth_required: it wants a sign-in for this session (not retried until there is a token).
 * closed: the session ended.
 */
export type UpstreamState = 'connecting' | 'connected' | 'unreachable' | 'failed' | 'auth_required' | 'reauth_required' | 'closed';

export interface UpstreamCatalog {
  tools: Tool[];
  prompts: Prompt[];
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
}

export const EMPTY_CATALOG: UpstreamCatalog = Object.freeze({ tools: [], prompts: [], resources: [], resourceTemplates: [] }) as UpstreamCatalog;

export type CatalogPart = keyof UpstreamCatalog;
