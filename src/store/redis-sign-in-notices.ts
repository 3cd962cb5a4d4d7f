import { randomUUID } from 'node:crypto';
import type { RecordCodec } from './records.js';
import type { RedisConnection } from './redis-connection.js';
import { redisKeys } from './redis-keys.js';
import type { RedisSubscriber } from './redis-subscriber.js';
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

  constructor(
    private readonly connection: RedisConnection,
    private readonly subscriber: RedisSubscriber,
    private readonly codec: RecordCodec,
  ) {}

  async announce(notice: SignInNotice): Promise<void> {
    const sealed = this.codec.seal({ kind: 'sign-in-notice' }, { ...notice, origin: this.origin });
    await this.connection.run('announceSignIn', (client) => client.publish(redisKeys.signIns, sealed));
  }

  listen(listener: (notice: SignInNotice) => void): () => void {
    this.listeners.add(listener);
    void this.subscriber.listen(redisKeys.signIns, 'sign-ins of other replicas', (message) => this.deliver(message)).catch(() => {});
    return () => this.listeners.delete(listener);
  }

  private deliver(message: string): void {
    const opened = this.codec.open({ kind: 'sign-in-notice' }, message);
    if (!opened || opened.origin === this.origin) return;
    const { origin: _origin, ...notice } = opened;
    for (const listener of this.listeners) listener(notice);
  }
}
