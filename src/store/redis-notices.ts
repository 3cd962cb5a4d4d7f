import { randomUUID } from 'node:crypto';
import type { Notice, NoticeKind, NoticeRecord, RecordCodec } from './records.js';
import type { RedisConnection } from './redis-connection.js';
import { redisKeys } from './redis-keys.js';
import type { RedisSubscriber } from './redis-subscriber.js';

const CHANNELS: Record<NoticeKind, string> = { 'sign-in-notice': redisKeys.signIns, 'server-notice': redisKeys.serverChanges };

/** What a listener is told the other processes could not hear, in the log (no notice's contents). */
const WHAT: Record<NoticeKind, string> = { 'sign-in-notice': 'sign-ins of other replicas', 'server-notice': 'server changes of other replicas' };

/**
 * Notices to every process on the same Redis through pub/sub: completed sign-ins (so the replica serving a
 * principal's client connects its servers as soon as the callback lands anywhere) and changes of stored servers (so
 * every replica serves the same servers). A notice is sealed like a record (the OAuth state and principal stay
 * private, and only a holder of the secret can announce one). Pub/sub delivers to whoever listens at that moment; a
 * replica that was cut off misses it: the principal's next authenticate call finds the stored sign-in instead
 * (SignInState.begin), and the stored servers are read again once it hears again (TokenStore.onAnnouncementsMissed).
 */
export class RedisNotices {
  /** This process, so that it ignores its own notices coming back. */
  private readonly origin = randomUUID();
  private readonly listeners = new Map<NoticeKind, Set<(notice: Notice<NoticeKind>) => void>>();

  constructor(
    private readonly connection: RedisConnection,
    private readonly subscriber: RedisSubscriber,
    private readonly codec: RecordCodec,
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
      // The subscriber warns when it cannot listen; the notices are then missed as during an outage.
      void this.subscriber.listen(CHANNELS[kind], WHAT[kind], (message) => this.deliver(kind, message)).catch(() => {});
    }
    // Only notices of this kind reach the listeners of this kind (deliver).
    const untyped = listener as (notice: Notice<NoticeKind>) => void;
    ofKind.add(untyped);
    return () => ofKind.delete(untyped);
  }

  private deliver(kind: NoticeKind, message: string): void {
    const opened = this.codec.openNotice(kind, message);
    if (!opened || opened.origin === this.origin) return;
    const { origin: _origin, ...notice } = opened;
    for (const listener of this.listeners.get(kind) ?? []) listener(notice);
  }
}
