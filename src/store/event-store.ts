import type { EventId, EventStore, JSONRPCMessage, StreamId } from '@modelcontextprotocol/server';

/**
 * Resumable legacy streams (MCP 2025-11-25 basic/transports#resumability-and-redelivery): the events of one session's
 * SSE streams, so that a client reconnecting with `Last-Event-ID` gets what it missed on that stream, responses and
 * notifications alike. Built on the SDK's `EventStore` (what `NodeStreamableHTTPServerTransport` takes as `eventStore`).
 *
 * One per session: the SDK names every session's GET stream alike, so the session scopes the streams, and an event id
 * from another session finds nothing.
 */
export interface SessionEventStore extends EventStore {
  getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined>;
  /** The session ended: its events may go (the memory store drops them; Redis lets them expire). */
  discard(): void;
}

/** Hands out one event store per session. */
export interface EventStores {
  readonly kind: 'memory' | 'redis';
  forSession(sessionId: string): SessionEventStore;
  close(): Promise<void>;
}

export interface EventRetention {
  /** How long a stream's events are kept after its last event. */
  retentionMs: number;
  /** The most events kept per stream; the oldest go first. */
  eventsPerStream: number;
}

/**
 * Event ids carry their stream: `<stream id>_<position>`. The SDK's stream ids are UUIDs and `_GET_stream`; positions
 * contain no `_`, so the last `_` splits them.
 */
export function eventId(streamId: StreamId, position: string): EventId {
  return `${streamId}_${position}`;
}

export function parseEventId(id: EventId): { streamId: StreamId; position: string } | undefined {
  const split = id.lastIndexOf('_');
  if (split <= 0 || split === id.length - 1) return undefined;
  return { streamId: id.slice(0, split), position: id.slice(split + 1) };
}

/** A priming event (the SDK stores `{}` for it) carries no message; replaying it would hand the client an empty one. */
export function isPriming(message: JSONRPCMessage | Record<string, never>): boolean {
  return !('jsonrpc' in message);
}
