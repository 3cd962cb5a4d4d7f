import type { Client } from '@modelcontextprotocol/client';
import { z } from 'zod';
import type { Logger } from '../log/index.js';
import type { CatalogPart, UpstreamCatalog } from './state.js';

/** Results are relayed as they are; validating them here would only cost time (the downstream client validates). */
export const PassThrough = z.looseObject({});
export type PassThroughResult = z.infer<typeof PassThrough>;

const LIST_PAGE_LIMIT = 100;

export const ALL_PARTS: ReadonlySet<CatalogPart> = new Set(['tools', 'prompts', 'resources', 'resourceTemplates']);

/**
 * Lists the given parts of an upstream's catalog. The result holds only those parts: a refresh replaces what it
 * re-listed and nothing else, whatever the catalog looks like by the time it ends (issue 6: a `tools/list_changed`
 * during the first listing used to overwrite the full catalog with an empty base).
 */
export async function listParts(client: Client, parts: ReadonlySet<CatalogPart>, options: { timeoutMs: number; logger: Logger; meta?: Record<string, unknown> }): Promise<Partial<UpstreamCatalog>> {
  const caps = client.getServerCapabilities() ?? {};
  const enabled: Record<CatalogPart, [string, unknown]> = {
    tools: ['tools/list', caps.tools],
    prompts: ['prompts/list', caps.prompts],
    resources: ['resources/list', caps.resources],
    resourceTemplates: ['resources/templates/list', caps.resources],
  };
  const listed = await Promise.all([...parts].map(async (part) => {
    const [method, capability] = enabled[part];
    return [part, capability ? await listAll(client, method, part, options) : []] as const;
  }));
  const out: Partial<UpstreamCatalog> = {};
  let dropped = 0;
  for (const [part, items] of listed) {
    const valid = items.filter(VALID[part]);
    dropped += items.length - valid.length;
    (out as Record<CatalogPart, unknown[]>)[part] = valid;
  }
  if (dropped > 0) options.logger.warn({ dropped }, 'upstream listed malformed tools, prompts or resources; they are left out');
  return out;
}

/** Follows pagination cursors (MCP 2025-11-25 utilities/pagination), bounded against a server that never ends. */
async function listAll(client: Client, method: string, key: CatalogPart, options: { timeoutMs: number; logger: Logger; meta?: Record<string, unknown> }): Promise<unknown[]> {
  const items: unknown[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < LIST_PAGE_LIMIT; page++) {
    const params: Record<string, unknown> = cursor ? { cursor } : {};
    if (options.meta) params._meta = options.meta;
    const result = await client.request({ method, params }, PassThrough, { timeout: options.timeoutMs });
    const pageItems = result[key];
    if (Array.isArray(pageItems)) items.push(...(pageItems as unknown[]));
    cursor = typeof result.nextCursor === 'string' && result.nextCursor ? result.nextCursor : undefined;
    if (!cursor) return items;
  }
  options.logger.warn({ method, pages: LIST_PAGE_LIMIT }, 'upstream list was cut off after too many pages');
  return items;
}

const VALID: Record<CatalogPart, (item: unknown) => boolean> = {
  tools: isTool,
  prompts: hasName,
  resources: (item) => typeof (item as { uri?: unknown }).uri === 'string',
  resourceTemplates: (item) => typeof (item as { uriTemplate?: unknown }).uriTemplate === 'string',
};

/** MCP 2025-11-25 server/tools: a tool has a name and an inputSchema that is a JSON Schema object of type "object". */
function isTool(item: unknown): boolean {
  const schema = (item as { inputSchema?: { type?: unknown } }).inputSchema;
  return hasName(item) && typeof schema === 'object' && schema !== null && schema.type === 'object';
}

function hasName(item: unknown): boolean {
  return typeof (item as { name?: unknown }).name === 'string' && (item as { name: string }).name.length > 0;
}
