import type { EventId, JSONRPCMessage, StreamId } from '@modelcontextprotocol/server';
import { eventId, isPriming, parseEventId, type EventRetention, type EventStores, type SessionEventStore } from './event-store.js';

interface Stream {
  events: { position: number; message: JSONRPCMessage }[];
  lastWrite: number;
}

/**
 * A session's events in this process. Streams are kept in the order of their last write, so the expired ones are
 * always at the front and pruning costs nothing per event beyond what expires.
 */
class MemorySessionEventStore implements SessionEventStore {
  private readonly streams = new Map<StreamId, Stream>();
  private nextPosition = 1;

  constructor(private readonly retention: EventRetention, private readonly now: () => number) {}

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    const now = this.now();
    this.prune(now);
    const stream = this.streams.get(streamId) ?? { events: [], lastWrite: now };
    this.streams.delete(streamId);
    stream.lastWrite = now;
    this.streams.set(streamId, stream);
    const position = this.nextPosition++;
    stream.events.push({ position, message });
    if (stream.events.length > this.retention.eventsPerStream) stream.events.shift();
    return eventId(streamId, String(position));
  }

  async getStreamIdForEventId(id: EventId): Promise<StreamId | undefined> {
    this.prune(this.now());
    const parsed = parseEventId(id);
    return parsed && this.streams.has(parsed.streamId) ? parsed.streamId : undefined;
  }

  async replayEventsAfter(lastEventId: EventId, { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> }): Promise<StreamId> {
    const parsed = parseEventId(lastEventId);
    if (!parsed) return '';
    const after = Number(parsed.position);
    for (const event of [...(this.streams.get(parsed.streamId)?.events ?? [])]) {
      if (event.position > after && !isPriming(event.message)) await send(eventId(parsed.streamId, String(event.position)), event.message);
    }
    return parsed.streamId;
  }

  discard(): void {
    this.streams.clear();
  }

  private prune(now: number): void {
    for (const [id, stream] of this.streams) {
      if (now - stream.lastWrite <= this.retention.retentionMs) break;
      this.streams.delete(id);
    }
  }
}

/** Events of a single process's sessions, kept in memory. */
export class MemoryEventStores implements EventStores {
  readonly kind = 'memory';

  constructor(private readonly retention: EventRetention, private readonly now: () => number = Date.now) {}

  forSession(_sessionId: string): SessionEventStore {
    return new MemorySessionEventStore(this.retention, this.now);
  }

  async close(): Promise<void> {}
}
