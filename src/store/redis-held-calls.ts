import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { HeldCallLostError } from './errors.js';
import type { HeldCallMessage, RecordCodec } from './records.js';
import type { RedisConnection } from './redis-connection.js';
import { redisKeys } from './redis-keys.js';
import type { RedisSubscriber } from './redis-subscriber.js';
import type { HeldCalls, HeldRound, HeldRoundAnswer, HeldRoundNotification } from './types.js';

/** The holder says it took the round within this, or the forwarder gives up on it. */
const ACCEPT_WAIT_MS = 2_000;
/** While a round runs (a person may be answering upstream, a tool may work for minutes), the holder says so this often. */
const HEARTBEAT_MS = 1_000;
/** A holder silent for this long is taken for gone: the wait is bounded however long a round may run. */
const SILENCE_MS = 5_000;

interface Waiting {
  heard(message: HeldCallMessage): void;
}

/**
 * Held calls over Redis pub/sub: a channel per replica for the rounds forwarded to it, and one per process for the
 * answers to what it forwarded. Pub/sub, not an HTTP forward: replicas need not know each other's addresses (behind a
 * load balancer they come and go), Redis is already shared and reachable by all, and PUBLISH says how many listeners
 * got a message, so a replica that is gone is known at once (0) instead of after a timeout. Messages are sealed like
 * records (inputResponses and results are the user's), and bound to their channel.
 */
export class RedisHeldCalls implements HeldCalls {
  private readonly process = randomUUID();
  private readonly waiting = new Map<string, Waiting>();
  /** Rounds this process runs for others, by id: a forwarder's cancel aborts them. */
  private readonly running = new Map<string, AbortController>();
  private answersHeard: Promise<void> | undefined;

  constructor(
    private readonly connection: RedisConnection,
    private readonly subscriber: RedisSubscriber,
    private readonly codec: RecordCodec,
    private readonly logger: Logger,
  ) {}

  async forward(replica: string, round: HeldRound, options: { signal: AbortSignal; onNotification(notification: HeldRoundNotification): void }): Promise<HeldRoundAnswer> {
    const answers = redisKeys.heldCallAnswers(this.process);
    // Subscribed before the round goes out, or a quick answer could come before anyone listens.
    this.answersHeard ??= this.subscriber.listen(answers, 'answers of forwarded input rounds', (message) => this.heard(answers, message)).catch((error: unknown) => {
      this.answersHeard = undefined;
      throw error;
    });
    await this.answersHeard;
    const id = randomUUID();
    const channel = redisKeys.heldCalls(replica);
    return new Promise<HeldRoundAnswer>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (outcome: () => void) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        options.signal.removeEventListener('abort', onAbort);
        outcome();
      };
      const silentFor = (ms: number) => {
        clearTimeout(timer);
        timer = setTimeout(() => finish(() => reject(new HeldCallLostError('silent', replica))), ms);
      };
      const onAbort = () => finish(() => {
        void this.publish(channel, { type: 'cancel', id }).catch(() => {});
        reject(options.signal.reason instanceof Error ? options.signal.reason : new Error('the client request ended'));
      });
      this.waiting.set(id, {
        heard: (message) => {
          if (message.type === 'answer') finish(() => resolve(message.answer));
          else if (message.type === 'notification') options.onNotification(message.notification);
          else silentFor(SILENCE_MS);
        },
      });
      options.signal.addEventListener('abort', onAbort, { once: true });
      silentFor(ACCEPT_WAIT_MS);
      this.publish(channel, { type: 'round', id, replyTo: answers, round }).then((listeners) => {
        if (listeners === 0) finish(() => reject(new HeldCallLostError('gone', replica)));
      }, (error: unknown) => finish(() => reject(error)));
    });
  }

  serve(replica: string, handler: Parameters<HeldCalls['serve']>[1]): () => void {
    const channel = redisKeys.heldCalls(replica);
    void this.subscriber.listen(channel, 'input rounds forwarded by other replicas', (message) => {
      const opened = this.codec.open({ kind: 'held-call', channel }, message);
      if (opened?.type === 'round') void this.run(opened, handler);
      else if (opened?.type === 'cancel') this.running.get(opened.id)?.abort(new Error('the client request ended'));
    }).catch(() => {});
    return () => void this.subscriber.unlisten(channel);
  }

  private async run(message: Extract<HeldCallMessage, { type: 'round' }>, handler: Parameters<HeldCalls['serve']>[1]): Promise<void> {
    const { id, replyTo } = message;
    const reply = (answer: HeldCallMessage) => void this.publish(replyTo, answer).catch((error: unknown) => {
      this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'could not answer a forwarded input round');
    });
    const controller = new AbortController();
    this.running.set(id, controller);
    reply({ type: 'accepted', id });
    const heartbeat = setInterval(() => reply({ type: 'alive', id }), HEARTBEAT_MS);
    try {
      const answer = await handler(message.round, { signal: controller.signal, notify: (notification) => reply({ type: 'notification', id, notification }) });
      reply({ type: 'answer', id, answer });
    } finally {
      clearInterval(heartbeat);
      this.running.delete(id);
    }
  }

  private heard(channel: string, sealed: string): void {
    const message = this.codec.open({ kind: 'held-call', channel }, sealed);
    if (message) this.waiting.get(message.id)?.heard(message);
  }

  private publish(channel: string, message: HeldCallMessage): Promise<number> {
    const sealed = this.codec.seal({ kind: 'held-call', channel }, message);
    return this.connection.run('forwardHeldCall', (client) => client.publish(channel, sealed));
  }
}
