import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Notice, NoticeKind, NoticeRecord, RecordCodec } from './records.js';
import type { RedisConnection } from './redis-connection.js';
import { redisKeys } from './redis-keys.js';

const CHANNELS: Record<NoticeKind, string> = { 'sign-in-notice': redisKeys.signIns, 'server-notice': redisKeys.serverChanges };

/** What a listener is told the other processes could not hear, in the log (no notice's contents). */
const WHAT: Record<NoticeKind, string> = { 'sign-in-notice': 'sign-ins', 'server-notice': 'server changes' };

/**
 * Notices to every process on the same Redis through pub/sub: completed sign-ins (so the replica serving a
 * principal's client connects its servers as soon as the callback lands anywhere) and changes of stored servers (so
 * every replica serves the same servers). A notice is sealed like a record (the OAuth state and principal stay
 * private, and only a holder of the secret can announce one). Pub/sub delivers to whoever listens at that moment; a
 * replica that was cut off misses it: the principal's next authenticate call finds the stored sign-in instead
 * (SignInState.begin), and stored servers are read again at the next start.
 */
export class RedisNotices {
  /** This process, so that it ignores its own notices coming back. */
  private readonly origin = randomUUID();
  private readonly listeners = new Map<NoticeKind, Set<(notice: Notice<NoticeKind>) => void>>();
  private subscriber: Redis | undefined;
  private lostLogged = false;

  constructor(
    private readonly url: string,
    private readonly connection: RedisConnection,
    private readonly codec: RecordCodec,
    private readonly logger: Logger,
  ) {}

  async announce<K extends NoticeKind>(kind: K, notice: Notice<K>): Promise<void> {
    const sealed = this.codec.sealNotice(kind, { ...notice, origin: this.origin } as NoticeRecord<K>);
    await this.connection.run(`announce ${WHAT[kind]}`, (client) => client.publish(CHANNELS[kind], sealed));
  }

  listen<K extends NoticeKind>(kind: K, listener: (notice: Notice<K>) => void): () => void {
    let ofKind = this.listeners.get(kind);
    if (!ofKind) {
      ofKind = new Set();
      this.listeners.set(kind, ofKind);
      this.subscribe(kind);
    }
    // Only notices of this kind reach the listeners of this kind (deliver).
    const untyped = listener as (notice: Notice<NoticeKind>) => void;
    ofKind.add(untyped);
    return () => ofKind.delete(untyped);
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
  }

  /**
   * One connection of its own for every channel: a subscribed Redis connection runs nothing else. ioredis subscribes
   * again after every reconnect (autoResubscribe), and the first SUBSCRIBE waits in its queue until the connection is up.
   */
  private subscribe(kind: NoticeKind): void {
    this.subscriber ??= this.connect();
    this.subscriber.subscribe(CHANNELS[kind]).catch((error: unknown) => {
      this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, `could not listen for ${WHAT[kind]} of other replicas`);
    });
  }

  private connect(): Redis {
    const subscriber = new Redis(this.url, {
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000) + Math.floor(Math.random() * 100),
      connectionName: 'switchboard-notices',
    });
    subscriber.on('message', (channel: string, message: string) => this.deliver(channel, message));
    subscriber.on('ready', () => (this.lostLogged = false));
    // Once per outage; the token store's own connection reports the outage in full.
    subscriber.on('error', (error: Error) => {
      if (this.lostLogged) return;
      this.lostLogged = true;
      this.logger.warn({ error: error.message }, 'notices from other replicas (sign-ins, server changes) are not heard until Redis is back');
    });
    return subscriber;
  }

  private deliver(channel: string, message: string): void {
    const kind = (Object.keys(CHANNELS) as NoticeKind[]).find((candidate) => CHANNELS[candidate] === channel);
    if (kind === undefined) return;
    const opened = this.codec.openNotice(kind, message);
    if (!opened || opened.origin === this.origin) return;
    const { origin: _origin, ...notice } = opened;
    for (const listener of this.listeners.get(kind) ?? []) listener(notice);
  }
}
