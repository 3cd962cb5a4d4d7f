import { principalKey, type Principal, type SessionPrincipal } from '../principal/index.js';
import type { RecordCodec } from './records.js';
import type { RedisConnection } from './redis-connection.js';
import { redisKeys } from './redis-keys.js';
import type { RedisLock } from './redis-lock.js';
import type { ClientRegistration, Grant, PendingSignIn, TokenStore } from './types.js';

/** Keeps sealed records in Redis, shared by every switchboard process that uses the same Redis and secret. */
export class RedisTokenStore implements TokenStore {
  readonly kind = 'redis';

  constructor(
    private readonly connection: RedisConnection,
    private readonly codec: RecordCodec,
    private readonly lock: RedisLock,
  ) {}

  async getGrant(principal: Principal, issuer: string): Promise<Grant | undefined> {
    const sealed = await this.connection.run('getGrant', (client) => client.hget(redisKeys.grants(principalKey(principal)), issuer));
    return sealed === null ? undefined : this.codec.open({ kind: 'grant', principal: principalKey(principal), issuer }, sealed);
  }

  async putGrant(principal: Principal, grant: Grant): Promise<void> {
    const sealed = this.codec.seal({ kind: 'grant', principal: principalKey(principal), issuer: grant.issuer }, grant);
    await this.connection.run('putGrant', (client) => client.hset(redisKeys.grants(principalKey(principal)), grant.issuer, sealed));
  }

  async deleteGrant(principal: Principal, issuer: string): Promise<void> {
    await this.connection.run('deleteGrant', (client) => client.hdel(redisKeys.grants(principalKey(principal)), issuer));
  }

  async deletePrincipal(principal: SessionPrincipal): Promise<void> {
    await this.connection.run('deletePrincipal', (client) => client.del(redisKeys.grants(principalKey(principal))));
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

  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.lock.run(key, fn);
  }

  async ping(): Promise<void> {
    await this.connection.run('ping', (client) => client.ping());
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
