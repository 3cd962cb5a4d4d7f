import picomatch from 'picomatch';
import type { Prompt, Resource, ResourceTemplateType as ResourceTemplate, Tool } from '@modelcontextprotocol/server';
import type { ServerConfig } from '../config/index.js';

/** `_meta` key naming the server a listed tool, prompt, resource or template comes from (MCP basic#meta: `prefix/name`). */
export const ORIGIN_META_KEY = 'switchboard/server';

/**
 * What the operator lets through of one server, and how it is shown: `tools.allow` / `tools.deny` globs (deny wins),
 * `tools.rename`, `tools.describe` and `tools.annotations` by the server's own tool name, `prompts.allow` and
 * `resources.allow` globs. What is left out is not listed and not routed: calling or reading it answers exactly as an
 * unknown name does.
 */
export interface ServerFilter {
  /** The tool as it is listed (renamed, described, annotated), or undefined when it is left out. */
  tool(tool: Tool): Tool | undefined;
  prompt(prompt: Prompt): boolean;
  resource(resource: Resource): boolean;
  template(template: ResourceTemplate): boolean;
  /** A URI not listed as such (a template's expansion, an original URI): whether reading it is allowed. */
  uri(uri: string): boolean;
}

const compiled = new WeakMap<ServerConfig, ServerFilter | null>();

/** The server's filter, compiled once per configuration entry; undefined when the server has none (all passes as it is). */
export function serverFilter(config: ServerConfig): ServerFilter | undefined {
  let filter = compiled.get(config);
  if (filter === undefined) {
    filter = compile(config);
    compiled.set(config, filter);
  }
  return filter ?? undefined;
}

function compile(config: ServerConfig): ServerFilter | null {
  const { tools, prompts, resources } = config;
  if (!tools && !prompts && !resources) return null;
  const allowTool = matcher(tools?.allow, true);
  const denyTool = matcher(tools?.deny, false);
  const allowPrompt = matcher(prompts?.allow, true);
  const allowUri = matcher(resources?.allow, true);
  return {
    tool: (tool) => {
      if (!allowTool(tool.name) || denyTool(tool.name)) return undefined;
      const name = tools?.rename?.[tool.name];
      const description = tools?.describe?.[tool.name];
      const annotations = tools?.annotations?.[tool.name];
      if (name === undefined && description === undefined && annotations === undefined) return tool;
      return {
        ...tool,
        ...(name !== undefined && { name }),
        ...(description !== undefined && { description }),
        ...(annotations !== undefined && { annotations: { ...tool.annotations, ...annotations } }),
      };
    },
    prompt: (prompt) => allowPrompt(prompt.name),
    resource: (resource) => allowUri(resource.uri),
    template: (template) => allowUri(template.uriTemplate),
    uri: allowUri,
  };
}

/** Globs over names and URIs: `*` stops at "/" (picomatch), so `github_*` never reaches into a path-like name. */
function matcher(patterns: readonly string[] | undefined, whenAbsent: boolean): (value: string) => boolean {
  if (!patterns) return () => whenAbsent;
  return picomatch([...patterns], { dot: true });
}

/** Every listed item says which server it comes from, next to what the server itself put in `_meta`. */
export function withOrigin<T extends { _meta?: Record<string, unknown> }>(item: T, server: string): T {
  return { ...item, _meta: { ...item._meta, [ORIGIN_META_KEY]: server } };
}
