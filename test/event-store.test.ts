import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { createEventStores, type EventStores, type SessionEventStore } from '../src/store/index.js';
import { startRedis, type RedisServer } from './support/redis.js';

/** The SDK transport stores `{}` for the priming event that opens each stream. */
const PRIMING = {} as JSONRPCMessage;
const notification = (n: number): JSONRPCMessage => ({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: `log ${n}` } });
const response = (id: number): JSONRPCMessage => ({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: `done ${id}` }] } });

function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: pino({ level: 'debug' }, { write: (line: string) => lines.push(line) }), lines };
}

async function replay(store: SessionEventStore, lastEventId: string): Promise<{ stream: string; events: { id: string; message: JSONRPCMessage }[] }> {
  const events: { id: string; message: JSONRPCMessage }[] = [];
  const stream = await store.replayEventsAfter(lastEventId, { send: async (id, message) => void events.push({ id, message }) });
  return { stream, events };
}

interface Backend {
  name: string;
  open(options: { retentionMs: number; eventsPerStream: number }): EventStores;
}

function contract(backend: Backend): void {
  describe(`${backend.name} event store`, () => {
    const opened: EventStores[] = [];
    const open = (retentionMs = 60_000, eventsPerStream = 100) => {
      const stores = backend.open({ retentionMs, eventsPerStream });
      opened.push(stores);
      return stores;
    };
    after(async () => {
      await Promise.all(opened.map((stores) => stores.close()));
    });

    it('replays what followed the last event id on that stream, in order, notifications and the response alike', async () => {
      const store = open().forSession(`s-${Math.random()}`);
      const priming = await store.storeEvent('stream-a', PRIMING);
      const first = await store.storeEvent('stream-a', notification(1));
      await store.storeEvent('stream-b', notification(99));
      await store.storeEvent('stream-a', notification(2));
      await store.storeEvent('stream-a', response(7));

      assert.equal(await store.getStreamIdForEventId(first), 'stream-a');
      const fromPriming = await replay(store, priming);
      assert.equal(fromPriming.stream, 'stream-a');
      assert.deepEqual(fromPriming.events.map((e) => e.message), [notification(1), notification(2), response(7)]);
      const fromFirst = await replay(store, first);
      assert.deepEqual(fromFirst.events.map((e) => e.message), [notification(2), response(7)]);
      // The ids replayed are the ids the events were stored under, so a client can resume again from any of them.
      assert.equal(new Set(fromPriming.events.map((e) => e.id)).size, 3);
      assert.deepEqual((await replay(store, fromPriming.events[1]!.id)).events.map((e) => e.message), [response(7)]);
    });

    it('finds nothing for an event id of another session, or one it never gave out', async () => {
      const stores = open();
      const mine = stores.forSession('session-one');
      const theirs = stores.forSession('session-two');
      const id = await mine.storeEvent('_GET_stream', notification(1));
      await mine.storeEvent('_GET_stream', notification(2));
      assert.equal(await theirs.getStreamIdForEventId(id), undefined);
      assert.deepEqual((await replay(theirs, id)).events, []);
      assert.equal(await mine.getStreamIdForEventId('not-an-event-id'), undefined);
      assert.equal(await mine.getStreamIdForEventId('_GET_stream_'), undefined);
    });

    it('keeps at most eventsPerStream events per stream, the newest', async () => {
      const store = open(60_000, 3).forSession(`s-${Math.random()}`);
      const priming = await store.storeEvent('s', PRIMING);
      for (let n = 1; n <= 5; n++) await store.storeEvent('s', notification(n));
      const { events } = await replay(store, priming);
      assert.deepEqual(events.map((e) => e.message), [notification(3), notification(4), notification(5)]);
    });

    it('lets a stream go retentionMs after its last event', async () => {
      const store = open(150).forSession(`s-${Math.random()}`);
      const id = await store.storeEvent('s', PRIMING);
      await store.storeEvent('s', notification(1));
      assert.equal(await store.getStreamIdForEventId(id), 's');
      await sleep(400);
      // A write to another stream of the session is what prunes the memory store; Redis expires on its own.
      await store.storeEvent('other', notification(2));
      assert.equal(await store.getStreamIdForEventId(id), undefined);
      assert.deepEqual((await replay(store, id)).events, []);
    });
  });
}

contract({ name: 'memory', open: (retention) => createEventStores({ url: 'memory:', logger: pino({ level: 'silent' }), ...retention }) });

describe('redis event store', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis.stop());

  contract({ name: 'redis (real redis-server)', open: (retention) => createEventStores({ url: redis.url, logger: pino({ level: 'silent' }), ...retention }) });

  it('keeps each stream in a Redis Stream with a TTL of retentionMs, capped at eventsPerStream', async () => {
    const stores = createEventStores({ url: redis.url, logger: pino({ level: 'silent' }), retentionMs: 30_000, eventsPerStream: 2 });
    const inspect = new Redis(redis.url);
    try {
      const store = stores.forSession('session:with/odd chars');
      for (let n = 1; n <= 4; n++) await store.storeEvent('stream-1', notification(n));
      const keys = await inspect.keys('switchboard:v1:events:session%3Awith*');
      assert.deepEqual(keys, ['switchboard:v1:events:session%3Awith%2Fodd%20chars:stream-1']);
      assert.equal(await inspect.type(keys[0]!), 'stream');
      assert.equal(await inspect.xlen(keys[0]!), 2);
      const ttl = await inspect.pttl(keys[0]!);
      assert.ok(ttl > 25_000 && ttl <= 30_000, `PTTL ${ttl}`);
    } finally {
      inspect.disconnect();
      await stores.close();
    }
  });

  it('still delivers while Redis is down: an event gets an id (not replayable), one warning is logged, and storing resumes when Redis is back', async () => {
    const { logger, lines } = capturingLogger();
    const stores = createEventStores({ url: redis.url, logger, retentionMs: 30_000, eventsPerStream: 10 });
    try {
      const store = stores.forSession('outage');
      const before = await store.storeEvent('s', PRIMING);
      await redis.restart();
      await sleep(50);
      // The first event after the restart may find the connection still reconnecting; both answers are ids.
      await redis.stop();
      const lost = await store.storeEvent('s', notification(1));
      const lostToo = await store.storeEvent('s', notification(2));
      assert.match(lost, /^s_lost$/);
      assert.equal(lostToo, lost);
      assert.equal(lines.filter((line) => line.includes('event store unavailable')).length, 1);
      await redis.restart();
      let stored: string | undefined;
      for (let attempt = 0; attempt < 50 && stored === undefined; attempt++) {
        const id = await store.storeEvent('s', notification(3));
        if (!id.endsWith('_lost')) stored = id;
        else await sleep(100);
      }
      assert.ok(stored, 'storing resumed after Redis came back');
      assert.ok(lines.some((line) => line.includes('event store available again')));
      assert.notEqual(before, stored);
    } finally {
      await stores.close();
    }
  });
});
