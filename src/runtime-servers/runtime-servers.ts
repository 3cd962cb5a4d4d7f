import { ConfigError, parseServerEntry, type RemovedServer, type ServerChange, type ServerConfig, type ServerSet } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { StoredServer, TokenStore } from '../store/index.js';

/**
 * Applies a change of the server set to everything that follows it (src/switchboard.ts). `removed` names the servers
 * whose tokens are to be deleted (removed, or moved to another URL): the process that made the change passes them, the
 * others pass none.
 */
export type ApplyServerChange = (change: ServerChange, removed: readonly RemovedServer[]) => Promise<void>;

/** Where a stored entry comes from, in the errors that name its keys. */
const SOURCE = 'stored server (admin API)';

/**
 * The servers added through the admin API, kept in the store (sealed, shared by every replica on the same Redis) and
 * in the ServerSet that serves them. A change is written to the store first, so a store that is down refuses it and
 * nothing changes; it then applies here and is announced, and every other replica reads the server from the store and
 * applies it the same way, so their clients hear `list_changed` too. Only this process deletes a removed server's
 * tokens: they are shared, and one deletion serves every replica.
 *
 * A server of the configuration file and a stored one with the same name: the file's is served (the API refuses to
 * create a name it serves; another replica's file may still name what this one stored). The stored entry stays in the
 * store, for replicas whose file does not name it, and serves here again once the file no longer does and switchboard
 * restarts.
 */
export class RuntimeServers {
  /** Notices are applied one at a time, in the order they came. */
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly servers: ServerSet,
    private readonly store: TokenStore,
    private readonly apply: ApplyServerChange,
    private readonly logger: Logger,
  ) {}

  /** Creates or changes a server. `entry` is what the API checked (`server` parsed from it), kept to be checked again on load. */
  async put(name: string, server: ServerConfig, entry: Record<string, unknown>): Promise<void> {
    const previous = await this.store.getServer(name);
    const now = Date.now();
    await this.store.putServer({ name, entry, createdAt: previous?.createdAt ?? now, updatedAt: now });
    // A server given a new URL leaves its old resource's tokens behind (orphaned).
    const { change, orphaned } = this.servers.putRuntime(name, server);
    await this.apply(change, orphaned);
    await this.announce(name);
  }

  async delete(name: string): Promise<void> {
    await this.store.deleteServer(name);
    const { change, orphaned } = this.servers.removeRuntime(name);
    await this.apply(change, orphaned);
    await this.announce(name);
  }

  /**
   * Applies the changes other replicas announce, until the returned function is called. After an outage of the store,
   * when announcements may have been missed, every stored server and every server this replica added is read again.
   */
  follow(): () => void {
    const stopHearing = this.store.onServerChangeElsewhere(({ name }) => this.queue(() => this.heard(name)));
    const stopResyncing = this.store.onAnnouncementsMissed(() => this.queue(() => this.resync()));
    return () => {
      stopHearing();
      stopResyncing();
    };
  }

  private queue(work: () => Promise<void>): void {
    this.pending = this.pending.then(work);
  }

  private async resync(): Promise<void> {
    let stored;
    try {
      stored = await this.store.listServers();
    } catch (error) {
      this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'the stored servers could not be read again after the store came back; changes of other replicas wait for their next announcement');
      return;
    }
    const byName = new Map(stored.map((server) => [server.name, server]));
    const names = new Set([...byName.keys(), ...this.servers.names().filter((name) => this.servers.isRuntime(name))]);
    for (const name of names) await this.follows(name, byName.get(name));
  }

  private async announce(name: string): Promise<void> {
    await this.store.announceServerChange({ name }).catch((error: unknown) => {
      // Stored already: the other replicas read it again once their outage ends (onAnnouncementsMissed), or at start.
      this.logger.warn({ server: name, error: error instanceof Error ? error.message : String(error) }, 'a server change could not be announced to the other replicas');
    });
  }

  /** What the store holds for the server now is what this replica serves: notices out of order end the same. */
  private async heard(name: string): Promise<void> {
    let stored;
    try {
      stored = await this.store.getServer(name);
    } catch (error) {
      this.logger.warn({ server: name, error: error instanceof Error ? error.message : String(error) }, 'a server change of another replica could not be read');
      return;
    }
    await this.follows(name, stored);
  }

  /** This replica serves what the store holds for `name` (absent: nothing). Another replica deletes the tokens. */
  private async follows(name: string, stored: StoredServer | undefined): Promise<void> {
    try {
      if (!stored) {
        if (this.servers.isRuntime(name)) await this.apply(this.servers.removeRuntime(name).change, []);
        return;
      }
      const server = parsedEntry(name, stored.entry, this.servers, this.logger);
      if (server) await this.apply(this.servers.putRuntime(name, server).change, []);
    } catch (error) {
      this.logger.warn({ server: name, error: error instanceof Error ? error.message : String(error) }, 'a server change of another replica could not be applied');
    }
  }
}

/**
 * At start, after the configuration file and before anything connects: the stored servers join the file's. A store
 * that cannot be read leaves the file's servers only, with an error in the log.
 */
export async function loadStoredServers(servers: ServerSet, store: TokenStore, logger: Logger): Promise<void> {
  let stored;
  try {
    stored = await store.listServers();
  } catch (error) {
    logger.error({ error: error instanceof Error ? error.message : String(error) }, 'the servers added through the admin API could not be read from the store; serving those of the configuration file');
    return;
  }
  for (const { name, entry } of stored) {
    const server = parsedEntry(name, entry, servers, logger);
    if (server) servers.putRuntime(name, server);
  }
  if (stored.length > 0) logger.info({ servers: stored.map(({ name }) => name) }, 'servers added through the admin API loaded from the store');
}

/** The stored entry checked again by the configuration schema, unless the file serves that name (the file wins). */
function parsedEntry(name: string, entry: unknown, servers: ServerSet, logger: Logger): ServerConfig | undefined {
  if (servers.get(name) && !servers.isRuntime(name)) {
    logger.warn({ server: name }, 'a stored server has the name of a server of the configuration file; the file\'s is served');
    return undefined;
  }
  try {
    return parseServerEntry(name, entry, SOURCE).server;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // ConfigError texts name the key and what was expected, never a value.
    logger.warn({ server: name, error: error.message }, 'a stored server does not load; it is skipped');
    return undefined;
  }
}
