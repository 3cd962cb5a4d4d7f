import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { loadRedis } from './ioredis.js';

/**
 * The one subscribed Redis connection of a process (a subscribed connection runs nothing else), shared by everything
 * that listens on pub/sub channels: sign-in notices, server changes, continuations forwarded between replicas. A
 * SUBSCRIBE waits in ioredis's queue until the connection is up. After an outage the channels are subscribed again
 * here (not by ioredis's autoResubscribe, which tells no one when it is done), and once Redis confirmed it the
 * `onResumed` listeners hear that messages may have been missed: what is published after that reaches this process.
 */
export class RedisSubscriber {
  private client: Promise<Redis> | undefined;
  private readonly listeners = new Map<string, (message: string) => void>();
  private readonly subscribed = new Map<string, Promise<void>>();
  private readonly resumedListeners = new Set<() => void>();
  private everReady = false;
  private lostLogged = false;

  constructor(private readonly url: string, private readonly logger: Logger) {}

  /**
   * Delivers the messages of `channel` to `listener` (one listener per channel). Resolves once Redis confirmed the
   * subscription: what is published after that reaches it. `what` names the messages in the warning of an outage.
   */
  listen(channel: string, what: string, listener: (message: string) => void): Promise<void> {
    this.listeners.set(channel, listener);
    const client = this.client ??= this.connect();
    let done = this.subscribed.get(channel);
    if (!done) {
      done = client.then((redis) => redis.subscribe(channel)).then(() => {}, (error: unknown) => {
        this.subscribed.delete(channel);
        this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, `could not listen for ${what}`);
        throw error;
      });
      this.subscribed.set(channel, done);
    }
    return done;
  }

  /** Stops delivering `channel`'s messages. */
  async unlisten(channel: string): Promise<void> {
    this.listeners.delete(channel);
    if (!this.subscribed.delete(channel)) return;
    await this.client?.then((redis) => redis.unsubscribe(channel)).catch(() => {});
  }

  /** Hears each return of Redis after an outage, once this process listens again on every channel. */
  onResumed(listener: () => void): () => void {
    this.resumedListeners.add(listener);
    return () => this.resumedListeners.delete(listener);
  }

  close(): void {
    void this.client?.then((redis) => redis.disconnect());
  }

  private async connect(): Promise<Redis> {
    const Redis = await loadRedis();
    const client = new Redis(this.url, {
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000) + Math.floor(Math.random() * 100),
      connectionName: 'switchboard-pubsub',
      autoResubscribe: false,
    });
    client.on('message', (channel: string, message: string) => this.listeners.get(channel)?.(message));
    client.on('ready', () => {
      this.lostLogged = false;
      if (this.everReady) void this.resubscribe(client);
      this.everReady = true;
    });
    // Once per outage; the token store's own connection reports the outage in full.
    client.on('error', (error: Error) => {
      if (this.lostLogged) return;
      this.lostLogged = true;
      this.logger.warn({ error: error.message }, 'messages from other replicas (sign-ins, forwarded input rounds) are not heard until Redis is back');
    });
    return client;
  }

  private async resubscribe(client: Redis): Promise<void> {
    const channels = [...this.subscribed.keys()];
    try {
      if (channels.length > 0) await client.subscribe(...channels);
    } catch (error) {
      // The connection dropped again; its next 'ready' tries once more.
      this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'could not listen again for messages from other replicas');
      return;
    }
    for (const listener of this.resumedListeners) listener();
  }
}
