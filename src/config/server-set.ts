import { isDeepStrictEqual } from 'node:util';
import type { Config, ServerConfig } from './schema.js';

/** What one change of the server set did: names added, removed, and kept with another configuration. */
export interface ServerChange {
  added: string[];
  removed: string[];
  updated: string[];
}

/** A server that a change removed, with the configuration it had: where its tokens were is found from it. */
export interface RemovedServer {
  name: string;
  server: ServerConfig;
}

export function isEmptyChange(change: ServerChange): boolean {
  return change.added.length === 0 && change.removed.length === 0 && change.updated.length === 0;
}

/**
 * A change of the set as the one who made it sees it: the names, for everything that follows the set, and the servers
 * whose tokens the change leaves to no one, with the configurations they had: the removed ones, and the updated ones
 * whose URL moved. A token is bound to the resource it was issued for (RFC 8707 section 2), so the old URL's tokens
 * serve nothing any more.
 */
export interface AppliedChange {
  change: ServerChange;
  orphaned: RemovedServer[];
}

function urlOf(server: ServerConfig | undefined): string | undefined {
  return server && 'url' in server ? server.url : undefined;
}

/**
 * The servers switchboard fronts, as they are now: the one writer of `config.mcpServers`, which everyone else reads.
 * Hot reload and the admin API change it here; the caller hands the returned change to whoever must react (the
 * connection pool, the views, the auth layer: see src/switchboard.ts). The order of the entries is kept, since the
 * later server in config order gives way on a name collision (src/catalog).
 */
export class ServerSet {
  /** Servers added through the admin API; the others come from the configuration file. */
  private readonly runtime = new Set<string>();

  constructor(private readonly config: Config) {}

  /** Whether a server was added at run time (the admin API manages those; the file, the others). */
  isRuntime(name: string): boolean {
    return this.runtime.has(name);
  }

  /** The configuration file changed: its servers become `fromFile`; servers added at run time stay. */
  replaceFromFile(fromFile: Record<string, ServerConfig>): AppliedChange {
    const kept = Object.fromEntries(Object.entries(this.config.mcpServers).filter(([name]) => this.runtime.has(name) && !(name in fromFile)));
    for (const name of Object.keys(fromFile)) this.runtime.delete(name);
    return this.replace({ ...fromFile, ...kept });
  }

  /** Adds or changes a server at run time. */
  putRuntime(name: string, server: ServerConfig): AppliedChange {
    this.runtime.add(name);
    return this.put(name, server);
  }

  removeRuntime(name: string): AppliedChange {
    this.runtime.delete(name);
    return this.remove(name);
  }

  get(name: string): ServerConfig | undefined {
    return this.config.mcpServers[name];
  }

  names(): string[] {
    return Object.keys(this.config.mcpServers);
  }

  /** The whole set becomes `next`. */
  private replace(next: Record<string, ServerConfig>): AppliedChange {
    const current = this.config.mcpServers;
    const change: ServerChange = { added: [], removed: [], updated: [] };
    const orphaned: RemovedServer[] = [];
    for (const [name, server] of Object.entries(current)) {
      if (!(name in next)) {
        change.removed.push(name);
        orphaned.push({ name, server });
      } else if (urlOf(server) !== undefined && urlOf(server) !== urlOf(next[name])) {
        orphaned.push({ name, server });
      }
    }
    for (const [name, server] of Object.entries(next)) {
      if (!(name in current)) change.added.push(name);
      else if (!isDeepStrictEqual(current[name], server)) change.updated.push(name);
    }
    if (isEmptyChange(change)) return { change, orphaned };
    for (const name of Object.keys(current)) delete current[name];
    Object.assign(current, next);
    return { change, orphaned };
  }

  /** Adds a server, or replaces one's configuration (at its place in the order). */
  private put(name: string, server: ServerConfig): AppliedChange {
    return this.replace({ ...this.config.mcpServers, [name]: server });
  }

  private remove(name: string): AppliedChange {
    const { [name]: _removed, ...rest } = this.config.mcpServers;
    return this.replace(rest);
  }
}
