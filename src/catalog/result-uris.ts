import type { CallToolResult } from '@modelcontextprotocol/server';
import { publicUri } from './naming.js';

/**
 * The results whose content blocks may name resources, as either SDK types them: a tool's result (its `content`) and
 * a prompt's (the one `content` block of each of its `messages`).
 */
export type ResultNamingResources = { content: readonly unknown[] } | { messages: readonly unknown[] };

/**
 * A tool or prompt result as the session's client must see it: the URIs of its resource links and embedded resources
 * become the session's public URIs (`<server>+<uri>` for a prefixed server), the URIs that `resources/read` and
 * `resources/subscribe` route back to that server.
 *
 * MCP 2025-11-25 server/tools#resource-links: a link carries "a URI that can be subscribed to or fetched by the
 * client", and need not appear in `resources/list` (a template's expansion, a resource made for the call). Left as the
 * upstream's own URI, a link to a URI that several servers share, or to one that no listing names, cannot be read
 * back. Embedded resources (#embedded-resources) name their URI the same way, and so do the content blocks of prompt
 * messages (server/prompts#embedded-resources: "Embedded resources allow referencing server-side resources directly
 * in messages").
 *
 * Pure: the upstream's result is not changed; every other block, `structuredContent` and `_meta` pass as they are.
 */
export function resultWithPublicUris<R extends ResultNamingResources>(result: R, server: string, prefix: boolean): R {
  // An unprefixed server's URIs are public as they are; a result without links (most of them) is not copied.
  if (!prefix) return result;
  const toPublic = (block: unknown) => blockWithPublicUri(block, server);
  if ('content' in result && Array.isArray(result.content) && result.content.some(namesResource)) {
    return { ...result, content: result.content.map(toPublic) } as R;
  }
  if ('messages' in result && Array.isArray(result.messages) && result.messages.some((m) => isObject(m) && namesResource(m.content))) {
    return { ...result, messages: result.messages.map((m) => (isObject(m) && namesResource(m.content) ? { ...m, content: toPublic(m.content) } : m)) } as R;
  }
  return result;
}

function blockWithPublicUri(block: unknown, server: string): unknown {
  if (isResourceLink(block)) return { ...block, uri: publicUri(server, block.uri, true) };
  if (isEmbeddedResource(block)) return { ...block, resource: { ...block.resource, uri: publicUri(server, block.resource.uri, true) } };
  return block;
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
