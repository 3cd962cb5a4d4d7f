import { UriTemplate, type Prompt, type Resource, type ResourceTemplateType as ResourceTemplate, type Tool } from '@modelcontextprotocol/server';
import type { Logger } from '../log/index.js';
import { scanParamHeaders, type UpstreamConnection } from '../upstream/index.js';
import { withOrigin, type ServerFilter } from './filter.js';
import { collisionName, publicName, publicUri } from './naming.js';

export interface Route {
  connection: UpstreamConnection;
  /** The name or URI as the upstream knows it. */
  upstreamName: string;
  /** Whether the server's names and URIs carry its prefix (what its results' URIs must be rewritten to). */
  prefix: boolean;
}

export interface CatalogSource {
  connection: UpstreamConnection;
  prefix: boolean;
  /** What the operator lets through of this server (config `tools`, `prompts`, `resources`); absent: everything. */
  filter?: ServerFilter;
}

/** An item as it is listed, and its name as the upstream knows it (a renamed tool's original name). */
interface Listed<T> {
  item: T;
  upstreamName: string;
}

/**
 * The merged view of one session's upstreams: public names and URIs, and the reverse maps that route requests.
 * Rebuilt only when an upstream's catalog changes, so listing is a lookup, not a merge.
 */
export class SessionCatalog {
  private toolsValue: Tool[] = [];
  private toolsByName = new Map<string, Tool>();
  private promptsValue: Prompt[] = [];
  private resourcesValue: Resource[] = [];
  private templatesValue: ResourceTemplate[] = [];
  private toolRoutes = new Map<string, Route>();
  private promptRoutes = new Map<string, Route>();
  private resourceRoutes = new Map<string, Route>();
  /** `<server>+` URI prefixes of prefixed servers, for URIs expanded from templates. */
  private uriPrefixes = new Map<string, CatalogSource>();
  /** Original URIs that exactly one server lists, so links inside tool results can be read by their own URI. */
  private originalUris = new Map<string, Route | null>();
  /** Templates of unprefixed servers, in config order: their expansions carry no server prefix to route by. */
  private unprefixedTemplates: { connection: UpstreamConnection; uriTemplate: string; template: UriTemplate }[] = [];
  /**
   * `<server>\0<tool>` of the tools left out (needing a task, or an invalid x-mcp-header), so each is warned about once,
   * not at every rebuild.
   */
  private readonly warnedLeftOut = new Set<string>();

  constructor(private readonly maxNameLength: number, private readonly logger: Logger) {}

  get tools(): readonly Tool[] { return this.toolsValue; }
  get prompts(): readonly Prompt[] { return this.promptsValue; }
  get resources(): readonly Resource[] { return this.resourcesValue; }
  get resourceTemplates(): readonly ResourceTemplate[] { return this.templatesValue; }

  /** `reservedTools` are switchboard's own tools; their names are taken first, so an upstream tool gives way to them. */
  rebuild(sources: readonly CatalogSource[], reservedTools: readonly Tool[] = []): void {
    const tools = this.mapNamed(sources, (source) => this.callableTools(source), new Set(reservedTools.map((t) => t.name)));
    this.toolsValue = [...reservedTools, ...tools.items];
    this.toolsByName = new Map(this.toolsValue.map((tool) => [tool.name, tool]));
    this.toolRoutes = tools.routes;
    const prompts = this.mapNamed(sources, ({ connection, filter }) => connection.catalog.prompts
      .filter((prompt) => !filter || filter.prompt(prompt))
      .map((prompt) => ({ item: prompt, upstreamName: prompt.name })));
    this.promptsValue = prompts.items;
    this.promptRoutes = prompts.routes;

    const resources: Resource[] = [];
    const templates: ResourceTemplate[] = [];
    this.resourceRoutes = new Map();
    this.uriPrefixes = new Map();
    this.originalUris = new Map();
    this.unprefixedTemplates = [];
    for (const source of sources) {
      const { connection, prefix, filter } = source;
      if (prefix) this.uriPrefixes.set(`${connection.name}+`, source);
      for (const resource of connection.catalog.resources) {
        if (filter && !filter.resource(resource)) continue;
        const uri = publicUri(connection.name, resource.uri, prefix);
        if (this.resourceRoutes.has(uri)) continue; // only possible for unprefixed servers: the first keeps it
        this.resourceRoutes.set(uri, { connection, upstreamName: resource.uri, prefix });
        this.originalUris.set(resource.uri, this.originalUris.has(resource.uri) ? null : { connection, upstreamName: resource.uri, prefix });
        resources.push(withOrigin({ ...resource, uri }, connection.name));
      }
      for (const template of connection.catalog.resourceTemplates) {
        if (filter && !filter.template(template)) continue;
        templates.push(withOrigin({ ...template, uriTemplate: publicUri(connection.name, template.uriTemplate, prefix) }, connection.name));
        if (!prefix) {
          try {
            this.unprefixedTemplates.push({ connection, uriTemplate: template.uriTemplate, template: new UriTemplate(template.uriTemplate) });
          } catch {
            // A malformed template (upstream input) is still listed, but nothing routes by it.
          }
        }
      }
    }
    this.resourcesValue = resources;
    this.templatesValue = templates;
  }

  /** A tool as listed, by its public name. */
  toolDefinition(name: string): Tool | undefined {
    return this.toolsByName.get(name);
  }

  tool(name: string): Route | undefined {
    return this.toolRoutes.get(name);
  }

  prompt(name: string): Route | undefined {
    return this.promptRoutes.get(name);
  }

  /** Listed URIs route by the reverse map; template expansions by their server prefix; otherwise an original URI one server owns. */
  resource(uri: string): Route | undefined {
    const listed = this.resourceRoutes.get(uri);
    if (listed) return listed;
    const plus = uri.indexOf('+');
    if (plus > 0) {
      const source = this.uriPrefixes.get(uri.slice(0, plus + 1));
      const upstreamName = uri.slice(plus + 1);
      // A server's resources filter holds for URIs it did not list too: what it leaves out is unknown.
      if (source && (!source.filter || source.filter.uri(upstreamName))) return { connection: source.connection, upstreamName, prefix: true };
    }
    const original = this.originalUris.get(uri);
    if (original) return original;
    // The template itself (completion/complete ref/resource) or one of its expansions; the first server in config order wins.
    const owner = this.unprefixedTemplates.find((t) => t.uriTemplate === uri || t.template.match(uri) !== null);
    return owner ? { connection: owner.connection, upstreamName: uri, prefix: false } : undefined;
  }

  /**
   * MCP 2025-11-25 basic/utilities/tasks#tool-level-negotiation: a tool with `execution.taskSupport: "required"` MUST be
   * called as a task, and its server MUST answer a plain call with -32601. switchboard relays no tasks yet, so it
   * declares no `tasks` capability and its clients send no task-augmented calls: such a tool could never be called
   * through it, and is left out. `"optional"` tools stay: a plain call is one of the two ways to call them.
   * MCP 2026-07-28 server/tools#x-mcp-header: a client MUST leave out a tool whose x-mcp-header declarations break
   * the rules (SEP-2243), and SHOULD warn with its name and the reason.
   */
  private callableTools({ connection, filter }: CatalogSource): Listed<Tool>[] {
    const listed: Listed<Tool>[] = [];
    for (const tool of connection.catalog.tools) {
      const headers = scanParamHeaders(tool.inputSchema);
      if (requiresTask(tool) || !headers.ok) {
        const key = `${connection.name}\u0000${tool.name}`;
        if (!this.warnedLeftOut.has(key)) {
          this.warnedLeftOut.add(key);
          if (!headers.ok) this.logger.warn({ server: connection.name, tool: tool.name, reason: headers.reason }, 'upstream tool has an invalid x-mcp-header declaration; it is left out');
          else this.logger.warn({ server: connection.name, tool: tool.name }, 'upstream tool can only run as a task, which switchboard does not relay yet; it is left out');
        }
        continue;
      }
      const shown = filter ? filter.tool(tool) : tool;
      if (shown) listed.push({ item: shown, upstreamName: tool.name });
    }
    return listed;
  }

  private mapNamed<T extends { name: string; _meta?: Record<string, unknown> }>(sources: readonly CatalogSource[], items: (source: CatalogSource) => readonly Listed<T>[], reserved: ReadonlySet<string> = new Set()) {
    const routes = new Map<string, Route>();
    const mapped: T[] = [];
    for (const source of sources) {
      const { connection, prefix } = source;
      for (const { item, upstreamName } of items(source)) {
        const name = this.uniqueName((candidate) => routes.has(candidate) || reserved.has(candidate), connection.name, item.name, prefix);
        routes.set(name, { connection, upstreamName, prefix });
        mapped.push(withOrigin(name === item.name ? item : { ...item, name }, connection.name));
      }
    }
    return { items: mapped, routes };
  }

  /** Two upstream names never map to one public name: the later server (in config order) gives way, deterministically. */
  private uniqueName(taken: (name: string) => boolean, server: string, name: string, prefix: boolean): string {
    const first = publicName(server, name, prefix, this.maxNameLength);
    if (!taken(first)) return first;
    const prefixed = publicName(server, name, true, this.maxNameLength);
    if (!taken(prefixed)) return prefixed;
    return collisionName(server, name, this.maxNameLength);
  }
}

function requiresTask(tool: Tool): boolean {
  return tool.execution?.taskSupport === 'required';
}
