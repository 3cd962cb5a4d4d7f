import type { EventId, JSONRPCMessage, StreamId } from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import { eventId, isPriming, parseEventId, type EventRetention, type EventStores, type SessionEventStore } from './event-store.js';
import type { RedisConnection } from './redis-connection.js';
import { redisKeys } from './redis-keys.js';

/** Redis Streams entry ids: `<milliseconds>-<sequence>`. Anything else in a Last-Event-ID is not ours. */
const ENTRY_ID = /^\d+-\d+$/;
/** The position of an event that could not be stored (Redis down): it is delivered live but cannot be replayed. */
const NOT_STORED = 'lost';

/**
 * A session's events in a Redis Stream per SSE stream (XADD with MAXLEN, PEXPIRE after every write, XRANGE from the
 * position after Last-Event-ID), so a client may reconnect to any replica sharing that Redis. A stream expires
 * `retentionMs` after its last event; a session's streams are left to expire (no index of them to keep in step).
 */
class RedisSessionEventStore implements SessionEventStore {
  constructor(
    private readonly connection: RedisConnection,
    private readonly sessionId: string,
    private readonly retention: EventRetention,
    private readonly outage: { report(error: unknown): void; recovered(): void },
  ) {}

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    const key = redisKeys.events(this.sessionId, streamId);
    try {
      const results = await this.connection.run('store an event', (client) =>
        client.multi()
          .xadd(key, 'MAXLEN', String(this.retention.eventsPerStream), '*', 'm', JSON.stringify(message))
          .pexpire(key, this.retention.retentionMs)
          .exec());
      const [error, position] = results?.[0] ?? [new Error('no reply to XADD'), null];
      if (error) throw error;
      this.outage.recovered();
      return eventId(streamId, String(position));
    } catch (error) {
      // Live delivery must not stop because Redis did: the event goes out, only its replay is lost.
      this.outage.report(error);
      return eventId(streamId, NOT_STORED);
    }
  }

  async getStreamIdForEventId(id: EventId): Promise<StreamId | undefined> {
    const parsed = parseEventId(id);
    if (!parsed) return undefined;
    const exists = await this.connection.run('find a stream', (client) => client.exists(redisKeys.events(this.sessionId, parsed.streamId)));
    return exists === 1 ? parsed.streamId : undefined;
  }

  async replayEventsAfter(lastEventId: EventId, { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> }): Promise<StreamId> {
    const parsed = parseEventId(lastEventId);
    if (!parsed) return '';
    if (!ENTRY_ID.test(parsed.position)) return parsed.streamId;
    const key = redisKeys.events(this.sessionId, parsed.streamId);
    // `(` makes the start exclusive (Redis >= 6.2): the event the client already has is not sent again.
    const entries = await this.connection.run('replay events', (client) => client.xrange(key, `(${parsed.position}`, '+', 'COUNT', this.retention.eventsPerStream));
    for (const [position, fields] of entries) {
      const raw = fields[fields.indexOf('m') + 1];
      if (raw === undefined) continue;
      const message = JSON.parse(raw) as JSONRPCMessage;
      if (!isPriming(message)) await send(eventId(parsed.streamId, position), message);
    }
    return parsed.streamId;
  }

  discard(): void {}
}

/** Events of every replica's sessions in one Redis. */
export class RedisEventStores implements EventStores {
  readonly kind = 'redis';
  private down = false;

  constructor(private readonly connection: RedisConnection, private readonly retention: EventRetention, private readonly logger: Logger) {}

  forSession(sessionId: string): SessionEventStore {
    return new RedisSessionEventStore(this.connection, sessionId, this.retention, {
      report: (error) => {
        if (this.down) return;
        this.down = true;
        this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'event store unavailable: streams are delivered live but cannot be resumed until Redis is back');
      },
      recovered: () => {
        if (!this.down) return;
        this.down = false;
        this.logger.info('event store available again: streams can be resumed');
      },
    });
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
