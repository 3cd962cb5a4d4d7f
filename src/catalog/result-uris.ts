import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { publicUri } from './naming.js';

/**
 * A tool result as the session's client must see it: the URIs of its resource links and embedded resources become
 * the session's public URIs (`<server>+<uri>` for a prefixed server), the URIs that `resources/read` and
 * `resources/subscribe` route back to that server.
 *
 * MCP 2025-11-25 server/tools#resource-links: a link carries "a URI that can be subscribed to or fetched by the
 * client", and need not appear in `resources/list` (a template's expansion, a resource made for the call). Left as the
 * upstream's own URI, a link to a URI that several servers share, or to one that no listing names, cannot be read
 * back. Embedded resources (#embedded-resources) name their URI the same way.
 *
 * Pure: the upstream's result is not changed; every other block, `structuredContent` and `_meta` pass as they are.
 */
export function toolResultWithPublicUris(result: CallToolResult, server: string, prefix: boolean): CallToolResult {
  // An unprefixed server's URIs are public as they are; a result without links (most of them) is not copied.
  if (!prefix || !Array.isArray(result.content) || !result.content.some(namesResource)) return result;
  const content = result.content.map((block): CallToolResult['content'][number] => {
    if (isResourceLink(block)) return { ...block, uri: publicUri(server, block.uri, prefix) };
    if (isEmbeddedResource(block)) return { ...block, resource: { ...block.resource, uri: publicUri(server, block.resource.uri, prefix) } };
    return block;
  });
  return { ...result, content };
}

// Upstream results are passed through without schema validation: a block is only rewritten when its URI is a string.

type Block = CallToolResult['content'][number];

function isResourceLink(block: unknown): block is Extract<Block, { type: 'resource_link' }> {
  return isObject(block) && block.type === 'resource_link' && typeof block.uri === 'string';
}

function isEmbeddedResource(block: unknown): block is Extract<Block, { type: 'resource' }> {
  return isObject(block) && block.type === 'resource' && isObject(block.resource) && typeof block.resource.uri === 'string';
}

function namesResource(block: unknown): boolean {
  return isResourceLink(block) || isEmbeddedResource(block);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
