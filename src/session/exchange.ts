import { randomUUID } from 'node:crypto';
import { type ClientCapabilities, type Notification, type Request } from '@modelcontextprotocol/server';
import { levelAdmits } from '../upstream/index.js';
import type { RelayContext } from './view.js';

/** Between two rounds an exchange waits this long for the client's retry (a person may be answering). */
export const ROUND_WAIT_MS = 10 * 60_000;

type Event =
  | { kind: 'input'; key: string; request: Request }
  | { kind: 'done'; result: unknown }
  | { kind: 'failed'; error: unknown };

interface PendingInput {
  resolve(response: Record<string, unknown>): void;
  reject(error: Error): void;
}

/**
 * One round of a client request: the request itself (or the retry), or, on the replica that holds the call, the retry
 * another replica received and forwarded.
 */
export interface Round {
  /** Aborted when the client gives up on the round: the call is cancelled. */
  signal: AbortSignal;
  /** What the client declared it can do in this round (2026-07-28: every request carries its capabilities). */
  capabilities: ClientCapabilities;
  /** The log level the request named, if any. */
  logLevel: string | undefined;
  /** A message related to the call (progress, a log), on this round's stream. */
  notify(notification: Notification): Promise<void>;
}

/** What one round of an exchange ends with: the relayed result, or the requests the client must answer first. */
export type RoundOutcome =
  | { kind: 'done'; result: unknown }
  | { kind: 'input'; requests: Record<string, Request> };

/**
 * One modern (2026-07-28) client request relayed upstream across its input rounds (basic/patterns/mrtr). The upstream
 * request stays in flight between rounds; what the upstream asks the client (sampling, elicitation, roots) is queued
 * and handed out as the round's input requests, and the retry's input responses answer the upstream.
 */
export class Exchange {
  readonly key = randomUUID();
  private readonly controller = new AbortController();
  private readonly events: Event[] = [];
  private readonly pending = new Map<string, PendingInput>();
  private wake: (() => void) | undefined;
  private round: Round | undefined;
  private expiry: NodeJS.Timeout | undefined;
  private capabilities: ClientCapabilities = {};
  private logLevel: string | undefined;
  private nextInput = 0;
  private finished = false;

  /** `call`: the client request it serves (rounds.ts roundCall), which every retry must be. */
  constructor(readonly call: string, private readonly onEnd: (exchange: Exchange) => void) {}

  /** The relay context of the upstream work: it outlives each round's HTTP exchange, and is related by `key`. */
  get relay(): RelayContext {
    return {
      signal: this.controller.signal,
      requestId: this.key,
      sendNotification: async (notification) => {
        if (this.admits(notification)) await this.round?.notify(notification);
      },
    };
  }

  /** What the client declared it can do in its latest round (2026-07-28: every request carries its capabilities). */
  get clientCapabilities(): ClientCapabilities {
    return this.capabilities;
  }

  start(work: Promise<unknown>): void {
    work.then((result) => this.push({ kind: 'done', result }), (error: unknown) => this.push({ kind: 'failed', error }));
  }

  /**
   * Queues a request for the client; it is answered by the input response of the next round. `preferredKey`: the
   * upstream's own key for it (a 2026-07-28 upstream's input request), kept unless this round already uses it; a
   * 2025 upstream's request has none and gets one of ours.
   */
  ask(request: Request, signal?: AbortSignal, preferredKey?: string): Promise<Record<string, unknown>> {
    const taken = (key: string) => this.pending.has(key) || this.events.some((event) => event.kind === 'input' && event.key === key);
    let key = preferredKey !== undefined && !taken(preferredKey) ? preferredKey : `r${this.nextInput++}`;
    while (taken(key)) key = `r${this.nextInput++}`;
    if (this.finished) return Promise.reject(new Error('the client request ended'));
    return new Promise((resolve, reject) => {
      this.pending.set(key, { resolve, reject });
      signal?.addEventListener('abort', () => {
        if (this.pending.delete(key)) reject(new Error('the upstream cancelled its request'));
      }, { once: true });
      this.push({ kind: 'input', key, request });
    });
  }

  /** Answers the requests of the previous round with the retry's input responses (untrusted: shape-checked only). */
  answer(responses: Record<string, unknown> | undefined): void {
    for (const [key, pending] of this.pending) {
      const response = responses?.[key];
      if (response && typeof response === 'object' && !Array.isArray(response)) pending.resolve(response as Record<string, unknown>);
      else pending.reject(new Error('the client did not answer this request'));
    }
    this.pending.clear();
  }

  /**
   * Runs one round: waits for the upstream's result or its next requests. Messages the upstream relates to the call
   * (progress, logs) go on this round's stream; the client closing it cancels the call.
   */
  async next(round: Round): Promise<RoundOutcome> {
    clearTimeout(this.expiry);
    this.round = round;
    this.capabilities = round.capabilities;
    this.logLevel = round.logLevel;
    const cancel = () => this.cancel();
    if (round.signal.aborted) cancel();
    round.signal.addEventListener('abort', cancel, { once: true });
    try {
      while (!this.events.length) await new Promise<void>((resolve) => (this.wake = resolve));
      const first = this.events[0]!;
      if (first.kind === 'input') {
        const requests: Record<string, Request> = {};
        // Everything the upstream asked so far goes in one round (inputRequests is a map).
        while (this.events[0]?.kind === 'input') {
          const input = this.events.shift() as Extract<Event, { kind: 'input' }>;
          requests[input.key] = input.request;
        }
        this.expiry = setTimeout(() => this.cancel(), ROUND_WAIT_MS);
        this.expiry.unref();
        return { kind: 'input', requests };
      }
      this.events.shift();
      this.end();
      if (first.kind === 'failed') throw first.error;
      return { kind: 'done', result: first.result };
    } finally {
      round.signal.removeEventListener('abort', cancel);
      this.round = undefined;
    }
  }

  /**
   * The client cannot answer what the upstream asks (it did not declare the capability): the round ends with `error`
   * instead of asking, whatever else was queued, and the upstream request is cancelled (MCP 2026-07-28
   * basic/lifecycle: a server MUST NOT rely on a capability the client did not declare, and answers -32021).
   */
  refuse(error: Error): void {
    if (this.finished) return;
    this.events.length = 0;
    this.push({ kind: 'failed', error });
    this.controller.abort(error);
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }

  /**
   * A log reaches the client only when its request named a level, at or above that level (MCP 2026-07-28
   * server/utilities/logging: the level travels in each request's `_meta`; without one, the server sends none).
   * Upstreams may log more: a 2025 one logs until told otherwise, and connections are shared.
   */
  private admits(notification: Notification): boolean {
    if (notification.method !== 'notifications/message') return true;
    if (this.logLevel === undefined) return false;
    const level = (notification.params as { level?: unknown } | undefined)?.level;
    return levelAdmits(this.logLevel, level);
  }

  /** Ends the exchange: the upstream request is cancelled and requests still waiting for an answer fail. */
  cancel(): void {
    const ended = new Error('the client request ended');
    this.controller.abort(ended);
    for (const pending of this.pending.values()) pending.reject(ended);
    this.pending.clear();
    // A round waiting for the upstream ends too, instead of waiting for what can no longer come.
    this.events.length = 0;
    this.push({ kind: 'failed', error: ended });
    this.end();
  }

  private end(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.expiry);
    this.onEnd(this);
  }

  private push(event: Event): void {
    if (this.finished) return;
    this.events.push(event);
    this.wake?.();
    this.wake = undefined;
  }
}
