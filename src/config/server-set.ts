import { isDeepStrictEqual } from 'node:util';
import type { Config, ServerConfig } from './schema.js';

/** What one change of the server set did: names added, removed, and kept with another configuration. */
export interface ServerChange {
  added: string[];
  removed: string[];
  updated: string[];
}

export function isEmptyChange(change: ServerChange): boolean {
  return change.added.length === 0 && change.removed.length === 0 && change.updated.length === 0;
}

/**
 * The servers switchboard fronts, as they are now: the one writer of `config.mcpServers`, which everyone else reads.
 * Hot reload and the admin API change it here; the caller hands the returned change to whoever must react (the
 * connection pool, the views, the auth layer: see src/switchboard.ts). The order of the entries is kept, since the
 * later server in config order gives way on a name collision (src/catalog).
 */
export class ServerSet {
  constructor(private readonly config: Config) {}

  get(name: string): ServerConfig | undefined {
    return this.config.mcpServers[name];
  }

  names(): string[] {
    return Object.keys(this.config.mcpServers);
  }

  /** The whole set becomes `next` (a reloaded config file). */
  replace(next: Record<string, ServerConfig>): ServerChange {
    const current = this.config.mcpServers;
    const change: ServerChange = { added: [], removed: [], updated: [] };
    for (const name of Object.keys(current)) if (!(name in next)) change.removed.push(name);
    for (const [name, server] of Object.entries(next)) {
      if (!(name in current)) change.added.push(name);
      else if (!isDeepStrictEqual(current[name], server)) change.updated.push(name);
    }
    if (isEmptyChange(change)) return change;
    for (const name of Object.keys(current)) delete current[name];
    Object.assign(current, next);
    return change;
  }

  /** Adds a server, or replaces one's configuration (at its place in the order). */
  put(name: string, server: ServerConfig): ServerChange {
    return this.replace({ ...this.config.mcpServers, [name]: server });
  }

  remove(name: string): ServerChange {
    const { [name]: _removed, ...rest } = this.config.mcpServers;
    return this.replace(rest);
  }
}
