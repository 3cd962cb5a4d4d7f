import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { StoreConfigError } from './errors.js';
import type { EventRetention, EventStores } from './event-store.js';
import { MemoryEventStores } from './memory-event-store.js';
import { MemoryTokenStore } from './memory-store.js';
import { RecordCodec } from './records.js';
import { RedisConnection, redactUrl } from './redis-connection.js';
import { RedisEraVerdicts } from './redis-era-verdicts.js';
import { RedisEventStores } from './redis-event-store.js';
import { RedisHeldCalls } from './redis-held-calls.js';
import { RedisLock } from './redis-lock.js';
import { RedisNotices } from './redis-notices.js';
import { RedisTokenStore } from './redis-store.js';
import { RedisSubscriber } from './redis-subscriber.js';
import { Sealer, type SealPurpose } from './sealed.js';
import type { TokenStore } from './types.js';

export interface TokenStoreOptions {
  /** `memory:`, or `redis://[user:password@]host:port[/db]` (`rediss://` for TLS). */
  url: string;
  /** SWITCHBOARD_SECRET. Required for Redis; the memory store makes a random one per process when absent. */
  secret?: string;
  logger: Logger;
  /** How long withLock waits for a lock held by another caller before LockTimeoutError. Default 10 s. */
  lockWaitMs?: number;
  /** Redis only: how long a lock outlives a holder that crashed (a live holder extends it). Default 10 s. */
  lockLeaseMs?: number;
  /**
   * Redis only: how long the grants of a session outlive the last time the session was renewed (keepSessions) or
   * wrote one. Default 30 minutes, the default session idle timeout.
   */
  sessionGrantTtlMs?: number;
}

// HKDF does not stretch a weak secret: anyone holding a Redis dump could guess a short one offline.
const MIN_SECRET_LENGTH = 32;
const DEFAULT_LOCK_WAIT_MS = 10_000;
const DEFAULT_LOCK_LEASE_MS = 10_000;
const DEFAULT_SESSION_GRANT_TTL_MS = 30 * 60_000;

/** Chooses the store from the url. Throws StoreConfigError for an unusable url or secret; never falls back. */
export function createTokenStore(options: TokenStoreOptions): TokenStore {
  const logger = options.logger.child({ component: 'token-store' });
  const url = parseStoreUrl(options.url);
  const lockWaitMs = options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS;
  if (url.protocol === 'memory:') {
    // Records only live as long as this process, so a key that dies with it is enough.
    const secret = options.secret ?? randomBytes(32).toString('base64url');
    return new MemoryTokenStore(new RecordCodec(sealerFor(secret), logger), lockWaitMs);
  }
  if (options.secret === undefined) {
    throw new StoreConfigError(
      'SWITCHBOARD_SECRET is required with a Redis token store: tokens are encrypted at rest with a key derived from it, ' +
        'and every switchboard instance sharing that Redis must use the same value',
    );
  }
  const codec = new RecordCodec(sealerFor(options.secret), logger);
  const connection = new RedisConnection(options.url, logger);
  const lock = new RedisLock(connection, { waitMs: lockWaitMs, leaseMs: options.lockLeaseMs ?? DEFAULT_LOCK_LEASE_MS }, logger);
  const subscriber = new RedisSubscriber(options.url, logger);
  const notices = new RedisNotices(connection, subscriber, codec);
  const verdicts = new RedisEraVerdicts(connection, logger);
  const heldCalls = new RedisHeldCalls(connection, subscriber, codec, logger);
  return new RedisTokenStore(connection, codec, lock, options.sessionGrantTtlMs ?? DEFAULT_SESSION_GRANT_TTL_MS, { notices, subscriber }, verdicts, heldCalls);
}

export interface EventStoreOptions extends EventRetention {
  /** The same url as the token store's: `memory:` keeps events in this process, Redis shares them between replicas. */
  url: string;
  logger: Logger;
}

/** Chooses the event store of resumable legacy streams from the url, as createTokenStore does. */
export function createEventStores(options: EventStoreOptions): EventStores {
  const url = parseStoreUrl(options.url);
  const retention = { retentionMs: options.retentionMs, eventsPerStream: options.eventsPerStream };
  if (url.protocol === 'memory:') return new MemoryEventStores(retention);
  const logger = options.logger.child({ component: 'event-store' });
  return new RedisEventStores(new RedisConnection(options.url, logger, 'event store'), retention, logger);
}

/**
 * The sealer of 2026-07-28 requestStates, from the same SWITCHBOARD_SECRET as the store's records under a purpose of
 * its own (sealed.ts), derived once: every replica with the secret opens what any of them sealed. Without a secret
 * the key is random per process, as is the memory store's: a state opens only where it was sealed.
 */
export function requestStateSealer(secret: string | undefined): Sealer {
  return sealerFor(secret ?? randomBytes(32).toString('base64url'), 'request-state');
}

function sealerFor(secret: string, purpose: SealPurpose = 'records'): Sealer {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new StoreConfigError(`SWITCHBOARD_SECRET must be at least ${MIN_SECRET_LENGTH} characters (for example: openssl rand -base64 32)`);
  }
  return new Sealer(secret, purpose);
}

function parseStoreUrl(raw: string): URL {
  const expected = 'expected memory: or redis://host:port/db (rediss:// for TLS)';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The raw value may hold a Redis password, so it is not echoed.
    throw new StoreConfigError(`token store url is not a URL; ${expected}`);
  }
  if (url.protocol === 'memory:') return url;
  const isRedis = url.protocol === 'redis:' || url.protocol === 'rediss:';
  if (!isRedis || url.hostname === '' || !/^(\/\d*)?$/.test(url.pathname)) {
    throw new StoreConfigError(`token store url ${redactUrl(raw)} is not usable; ${expected}`);
  }
  return url;
}
