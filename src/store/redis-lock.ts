import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { LockTimeoutError } from './errors.js';
import type { RedisConnection } from './redis-connection.js';
import { redisKeys } from './redis-keys.js';

// Compare-and-delete / compare-and-extend: only the holder's random token may release or extend the lock, so a
// holder whose lease ran out can never free a lock that someone else holds by now.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const POLL_MS = 25;

export interface LockTiming {
  /** How long to wait for a lock held by someone else before LockTimeoutError. */
  waitMs: number;
  /** How long a lock outlives a holder that crashed; a live holder extends it every third of this. */
  leaseMs: number;
}

/**
 * A lock shared by every process on the same Redis: SET NX PX with a random token, polled until the wait bound.
 * While fn runs the lease is extended, so a slow token endpoint cannot let a second refresh in with a refresh token
 * that is about to be rotated (the pomerium #6530 failure); a crashed holder frees it after one lease.
 */
export class RedisLock {
  constructor(
    private readonly connection: RedisConnection,
    private readonly timing: LockTiming,
    private readonly logger: Logger,
  ) {}

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const lockKey = redisKeys.lock(key);
    const token = randomBytes(16).toString('base64url');
    await this.acquire(lockKey, token);
    const extender = setInterval(() => void this.extend(lockKey, token, extender), this.timing.leaseMs / 3);
    extender.unref();
    try {
      return await fn();
    } finally {
      clearInterval(extender);
      await this.release(lockKey, token);
    }
  }

  private async acquire(lockKey: string, token: string): Promise<void> {
    const deadline = Date.now() + this.timing.waitMs;
    for (;;) {
      const taken = await this.connection.run('lock', (client) => client.set(lockKey, token, 'PX', this.timing.leaseMs, 'NX'));
      if (taken === 'OK') return;
      if (Date.now() >= deadline) throw new LockTimeoutError(`lock not acquired within ${this.timing.waitMs} ms`);
      await sleep(POLL_MS + Math.floor(Math.random() * POLL_MS));
    }
  }

  private async extend(lockKey: string, token: string, extender: NodeJS.Timeout): Promise<void> {
    try {
      const extended = await this.connection.run('lock extend', (client) => client.eval(EXTEND, 1, lockKey, token, this.timing.leaseMs));
      if (extended === 0) {
        clearInterval(extender);
        this.logger.warn('token store lock lease expired while held; another holder may have entered');
      }
    } catch (error) {
      // Redis is unreachable: the next tick tries again, and the lease still covers us until it runs out.
      this.logger.warn({ error: (error as Error).message }, 'token store could not extend a lock lease');
    }
  }

  /** Not thrown: fn's outcome is what the caller needs, and an unreleased lock frees itself after one lease. */
  private async release(lockKey: string, token: string): Promise<void> {
    try {
      await this.connection.run('unlock', (client) => client.eval(RELEASE, 1, lockKey, token));
    } catch (error) {
      this.logger.warn({ error: (error as Error).message }, 'token store could not release a lock; it expires with its lease');
    }
  }
}
