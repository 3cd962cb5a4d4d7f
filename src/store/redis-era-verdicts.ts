import type { PriorDiscovery } from '@modelcontextprotocol/client';
import type { Logger } from 'pino';
import { LEGACY_VERDICT_HORIZON_MS, type EraVerdictCache } from '../upstream/index.js';
import type { RedisConnection } from './redis-connection.js';
import { redisKeys } from './redis-keys.js';

/**
 * A modern verdict is kept until it fails (verdicts.ts), but its key names the credential that probed, and credentials
 * change at every refresh: without an expiry, the verdicts of old tokens would pile up in Redis.
 */
const MODERN_VERDICT_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * The era verdicts of upstream servers, shared by every replica on the same Redis: a server one replica probed is
 * connected by the others with no round trip. Not sealed: a verdict is what the server advertises to anyone holding
 * that credential, and the key holds only a hash of the credential (verdictKey).
 *
 * A cache, so an outage is a miss, never an error and never a wait: the connection probes, as it would for a server
 * it has not met. Legacy verdicts expire after the same horizon as in memory (a stale one would succeed silently).
 */
export class RedisEraVerdicts implements EraVerdictCache {
  constructor(
    private readonly connection: RedisConnection,
    private readonly logger: Logger,
  ) {}

  async get(key: string): Promise<PriorDiscovery | undefined> {
    try {
      const stored = await this.connection.run('era verdict get', (client) => client.get(redisKeys.eraVerdict(key)), { waitForReady: false });
      return stored === null ? undefined : parseVerdict(stored);
    } catch (error) {
      this.logger.debug({ error: (error as Error).message }, 'era verdict cache unavailable; probing');
      return undefined;
    }
  }

  async set(key: string, verdict: PriorDiscovery): Promise<void> {
    const ttlMs = verdict.kind === 'legacy' ? LEGACY_VERDICT_HORIZON_MS : MODERN_VERDICT_TTL_MS;
    await this.connection.run('era verdict set', (client) => client.set(redisKeys.eraVerdict(key), JSON.stringify(verdict), 'PX', ttlMs), { waitForReady: false })
      .catch((error: unknown) => this.logger.debug({ error: (error as Error).message }, 'era verdict not shared'));
  }

  async delete(key: string): Promise<void> {
    await this.connection.run('era verdict delete', (client) => client.del(redisKeys.eraVerdict(key)), { waitForReady: false })
      .catch((error: unknown) => this.logger.debug({ error: (error as Error).message }, 'stale era verdict not deleted from Redis'));
  }
}

/**
 * Anyone who can write to the Redis can write here, so a value that is not a verdict is a miss. The advertisement
 * itself is checked by the SDK when it connects with it.
 */
function parseVerdict(stored: string): PriorDiscovery | undefined {
  try {
    const value = JSON.parse(stored) as { kind?: unknown; discover?: unknown };
    if (value.kind === 'legacy') return { kind: 'legacy' };
    if (value.kind === 'modern' && typeof value.discover === 'object' && value.discover !== null) return value as PriorDiscovery;
  } catch {
    // Not JSON: a miss.
  }
  return undefined;
}
