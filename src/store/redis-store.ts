import { principalFromKey, principalKey, type Principal, type SessionPrincipal } from '../principal/index.js';
import type { RecordCodec } from './records.js';
import type { RedisConnection } from './redis-connection.js';
import { redisKeys } from './redis-keys.js';
import type { RedisLock } from './redis-lock.js';
import type { RedisNotices } from './redis-notices.js';
import type { RedisSubscriber } from './redis-subscriber.js';
import type { EraVerdictCache } from '../upstream/index.js';
import type { ClientRegistration, Grant, GrantOfPrincipal, HeldCalls, PendingSignIn, ServerNotice, SignInNotice, StoredServer, TokenStore } from './types.js';

/** Keys SCAN looks at per round trip while it finds the grants at an issuer. */
const SCAN_BATCH = 500;

/** Keeps sealed records in Redis, shared by every switchboard process that uses the same Redis and secret. */
export class RedisTokenStore implements TokenStore {
  readonly kind = 'redis';

  constructor(
    private readonly connection: RedisConnection,
    private readonly codec: RecordCodec,
    private readonly lock: RedisLock,
    /** How long a session's grants outlive their last renewal (keepSessions) or write. */
    private readonly sessionGrantTtlMs: number,
    private readonly pubsub: { notices: RedisNotices; subscriber: RedisSubscriber },
    readonly eraVerdicts: EraVerdictCache,
    readonly heldCalls: HeldCalls,
  ) {}

  async getGrant(principal: Principal, issuer: string): Promise<Grant | undefined> {
    const sealed = await this.connection.run('getGrant', (client) => client.hget(redisKeys.grants(principalKey(principal)), issuer));
    return sealed === null ? undefined : this.codec.open({ kind: 'grant', principal: principalKey(principal), issuer }, sealed);
  }

  async putGrant(principal: Principal, grant: Grant): Promise<void> {
    const sealed = this.codec.seal({ kind: 'grant', principal: principalKey(principal), issuer: grant.issuer }, grant);
    const key = redisKeys.grants(principalKey(principal));
    if (principal.kind !== 'session') {
      await this.connection.run('putGrant', (client) => client.hset(key, grant.issuer, sealed));
      return;
    }
    // A session's grants expire unless the live session renews them: a crashed process leaves nothing for ever.
    await this.connection.run('putGrant', (client) => client.multi().hset(key, grant.issuer, sealed).pexpire(key, this.sessionGrantTtlMs).exec().then(failedIn));
  }

  async deleteGrant(principal: Principal, issuer: string): Promise<void> {
    await this.connection.run('deleteGrant', (client) => client.hdel(redisKeys.grants(principalKey(principal)), issuer));
  }

  /**
   * SCAN over the grants hashes, one HGET per hash found (pipelined per batch). It reads every principal's key once,
   * which a server removal can afford; an index per issuer would be cheaper to read, but it would have to follow every
   * write and every session grant's TTL, and could drift from the records it indexes.
   */
  async grantsAt(issuer: string): Promise<GrantOfPrincipal[]> {
    const found = await this.connection.run('grantsAt', async (client) => {
      const sealed: [string, string][] = [];
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', redisKeys.allGrants, 'COUNT', SCAN_BATCH);
        cursor = next;
        if (keys.length === 0) continue;
        const pipeline = client.pipeline();
        for (const key of keys) pipeline.hget(key, issuer);
        const results = await pipeline.exec();
        failedIn(results);
        keys.forEach((key, i) => {
          const value = results?.[i]?.[1];
          if (typeof value === 'string') sealed.push([redisKeys.principalOfGrants(key), value]);
        });
      } while (cursor !== '0');
      return sealed;
    });
    return found.flatMap(([key, sealed]) => {
      const principal = principalFromKey(key);
      const grant = principal && this.codec.open({ kind: 'grant', principal: key, issuer }, sealed);
      return principal && grant ? [{ principal, grant }] : [];
    });
  }

  async deletePrincipal(principal: SessionPrincipal): Promise<void> {
    await this.connection.run('deletePrincipal', (client) => client.del(redisKeys.grants(principalKey(principal))));
  }

  async keepSessions(principals: readonly SessionPrincipal[]): Promise<void> {
    if (principals.length === 0) return;
    // One round trip for every session of this process. PEXPIRE on a missing key is a no-op: a session that never
    // signed in stores nothing.
    await this.connection.run('keepSessions', (client) => {
      const pipeline = client.pipeline();
      for (const principal of principals) pipeline.pexpire(redisKeys.grants(principalKey(principal)), this.sessionGrantTtlMs);
      return pipeline.exec().then(failedIn);
    });
  }

  async putPending(pending: PendingSignIn, ttlMs: number): Promise<void> {
    const sealed = this.codec.seal({ kind: 'pending', state: pending.state }, pending);
    // PX takes whole milliseconds; Redis expires the record itself, so an abandoned sign-in leaves nothing behind.
    await this.connection.run('putPending', (client) => client.set(redisKeys.pending(pending.state), sealed, 'PX', Math.ceil(ttlMs)));
  }

  async takePending(state: string): Promise<PendingSignIn | undefined> {
    // GETDEL (Redis >= 6.2) is the atomic take: of two callbacks carrying the same state, exactly one gets it.
    const sealed = await this.connection.run('takePending', (client) => client.getdel(redisKeys.pending(state)));
    return sealed === null ? undefined : this.codec.open({ kind: 'pending', state }, sealed);
  }

  async getRegistration(issuer: string, redirectUri: string): Promise<ClientRegistration | undefined> {
    const sealed = await this.connection.run('getRegistration', (client) => client.get(redisKeys.registration(issuer, redirectUri)));
    return sealed === null ? undefined : this.codec.open({ kind: 'registration', issuer, redirectUri }, sealed);
  }

  async putRegistration(reg: ClientRegistration): Promise<void> {
    const sealed = this.codec.seal({ kind: 'registration', issuer: reg.issuer, redirectUri: reg.redirectUri }, reg);
    await this.connection.run('putRegistration', (client) => client.set(redisKeys.registration(reg.issuer, reg.redirectUri), sealed));
  }

  async listServers(): Promise<StoredServer[]> {
    const all = await this.connection.run('listServers', (client) => client.hgetall(redisKeys.servers));
    const opened = Object.entries(all).map(([name, sealed]) => this.codec.open({ kind: 'server', name }, sealed));
    return opened.filter((server) => server !== undefined).sort((a, b) => a.createdAt - b.createdAt);
  }

  async getServer(name: string): Promise<StoredServer | undefined> {
    const sealed = await this.connection.run('getServer', (client) => client.hget(redisKeys.servers, name));
    return sealed === null ? undefined : this.codec.open({ kind: 'server', name }, sealed);
  }

  async putServer(server: StoredServer): Promise<void> {
    const sealed = this.codec.seal({ kind: 'server', name: server.name }, server);
    await this.connection.run('putServer', (client) => client.hset(redisKeys.servers, server.name, sealed));
  }

  async deleteServer(name: string): Promise<void> {
    await this.connection.run('deleteServer', (client) => client.hdel(redisKeys.servers, name));
  }

  announceSignIn(notice: SignInNotice): Promise<void> {
    return this.pubsub.notices.announce('sign-in-notice', notice);
  }

  onSignInElsewhere(listener: (notice: SignInNotice) => void): () => void {
    return this.pubsub.notices.listen('sign-in-notice', listener);
  }

  announceServerChange(notice: ServerNotice): Promise<void> {
    return this.pubsub.notices.announce('server-notice', notice);
  }

  onServerChangeElsewhere(listener: (notice: ServerNotice) => void): () => void {
    return this.pubsub.notices.listen('server-notice', listener);
  }

  onAnnouncementsMissed(listener: () => void): () => void {
    return this.pubsub.subscriber.onResumed(listener);
  }

  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.lock.run(key, fn);
  }

  async ping(): Promise<void> {
    await this.connection.run('ping', (client) => client.ping());
  }

  async close(): Promise<void> {
    this.pubsub.subscriber.close();
    await this.connection.close();
  }
}

/** MULTI and pipelines report a failed command in their results instead of rejecting. */
function failedIn(results: [Error | null, unknown][] | null): void {
  const failure = results?.find(([error]) => error !== null)?.[0];
  if (failure) throw failure;
  if (results === null) throw new Error('the transaction was aborted');
}
