import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RecordCodec } from './records.js';
import type { RedisConnection } from './redis-connection.js';
import { redisKeys } from './redis-keys.js';
import type { SignInNotice } from './types.js';

/**
 * Completed sign-ins, told to every process on the same Redis through pub/sub, so the replica serving a principal's
 * client connects its servers as soon as the callback lands anywhere. A notice is sealed like a record (the OAuth
 * state and principal stay private, and only a holder of the secret can announce one). Pub/sub delivers to whoever
 * listens at that moment; a replica that was cut off misses it and the principal's next authenticate call finds the
 * stored sign-in instead (SignInState.begin).
 */
export class RedisSignInNotices {
  /** This process, so that it ignores its own notices coming back. */
  private readonly origin = randomUUID();
  private readonly listeners = new Set<(notice: SignInNotice) => void>();
  private subscriber: Redis | undefined;
  private lostLogged = false;

  constructor(
    private readonly url: string,
    private readonly connection: RedisConnection,
    private readonly codec: RecordCodec,
    private readonly logger: Logger,
  ) {}

  async announce(notice: SignInNotice): Promise<void> {
    const sealed = this.codec.seal({ kind: 'sign-in-notice' }, { ...notice, origin: this.origin });
    await this.connection.run('announceSignIn', (client) => client.publish(redisKeys.signIns, sealed));
  }

  listen(listener: (notice: SignInNotice) => void): () => void {
    this.listeners.add(listener);
    this.subscriber ??= this.subscribe();
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
  }

  /**
   * A connection of its own: a subscribed Redis connection runs nothing else. ioredis subscribes again after every
   * reconnect (autoResubscribe), and the first SUBSCRIBE waits in its queue until the connection is up.
   */
  private subscribe(): Redis {
    const subscriber = new Redis(this.url, {
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000) + Math.floor(Math.random() * 100),
      connectionName: 'switchboard-sign-ins',
    });
    subscriber.on('message', (_channel: string, message: string) => this.deliver(message));
    subscriber.on('ready', () => (this.lostLogged = false));
    // Once per outage; the token store's own connection reports the outage in full.
    subscriber.on('error', (error: Error) => {
      if (this.lostLogged) return;
      this.lostLogged = true;
      this.logger.warn({ error: error.message }, 'sign-in notices from other replicas are not heard until Redis is back');
    });
    subscriber.subscribe(redisKeys.signIns).catch((error: unknown) => {
      this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'could not listen for sign-ins of other replicas');
    });
    return subscriber;
  }

  private deliver(message: string): void {
    const opened = this.codec.open({ kind: 'sign-in-notice' }, message);
    if (!opened || opened.origin === this.origin) return;
    const { origin: _origin, ...notice } = opened;
    for (const listener of this.listeners) listener(notice);
  }
}
