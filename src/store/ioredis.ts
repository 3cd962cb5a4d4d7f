import type { Redis } from 'ioredis';

/**
 * ioredis, loaded when the first Redis connection opens: a switchboard on the memory store never needs it, and
 * importing it at start cost about 1 MB of idle heap (issue 6).
 */
export async function loadRedis(): Promise<typeof Redis> {
  return (await import('ioredis')).Redis;
}
