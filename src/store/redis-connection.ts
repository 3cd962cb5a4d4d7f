import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { StoreUnavailableError } from './errors.js';
import { loadRedis } from './ioredis.js';

// A caller waits at most this long for a connection that is being (re)established, then gets StoreUnavailableError:
// long enough to ride out a reconnect in progress, short enough that an outage never looks like a hang.
const READY_WAIT_MS = 1_000;
// A Redis that accepts the connection but stops answering (paused, swapping) must fail a call too.
const COMMAND_TIMEOUT_MS = 2_000;
const CONNECT_TIMEOUT_MS = 2_000;
// Reconnect forever in the background, backing off to this; recovery is noticed within it.
const MAX_RECONNECT_DELAY_MS = 2_000;

/**
 * One ioredis client that fails fast while Redis is unreachable and recovers by itself. Commands are never queued
 * while disconnected and never resent after a connection drop: a resent GETDEL or SET NX may already have run, and
 * the caller is better served by an error than by a late or doubled write. There is no fallback to memory: that
 * would silently lose every token when Redis comes back.
 */
export class RedisConnection {
  /** Set once ioredis has loaded; until then the connection is connecting, as it is while Redis is unreachable. */
  private client: Redis | undefined;
  private readonly logger: Logger;
  private state: 'connecting' | 'up' | 'down' = 'connecting';
  private closing = false;
  private errorLoggedThisOutage = false;
  private ready!: Promise<void>;
  private markReady!: () => void;

  /** `label` names the store in errors and logs ("token store", "event store"). */
  constructor(url: string, logger: Logger, private readonly label = 'token store') {
    this.logger = logger.child({ redis: redactUrl(url) });
    this.resetReady();
    void this.connect(url);
  }

  private async connect(url: string): Promise<void> {
    const Redis = await loadRedis();
    if (this.closing) return;
    this.client = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, MAX_RECONNECT_DELAY_MS) + Math.floor(Math.random() * 100),
      connectionName: `switchboard-${this.label.replace(/\s+/g, '-')}`,
    });
    this.client.on('ready', () => this.onReady());
    this.client.on('close', () => this.onClose());
    this.client.on('error', (error: Error) => this.onError(error));
  }

  /**
   * Runs one command (or MULTI/script) once the connection is ready; every failure becomes StoreUnavailableError.
   * `waitForReady: false` fails at once while the connection is down, for callers that have a cheaper way out (a cache).
   */
  async run<T>(operation: string, command: (client: Redis) => Promise<T>, options: { waitForReady?: boolean } = {}): Promise<T> {
    if (this.closing) throw new StoreUnavailableError(`${this.label} ${operation}: the store is closed`);
    if (options.waitForReady === false && this.client?.status !== 'ready') throw new StoreUnavailableError(`${this.label} ${operation}: Redis is not reachable`);
    const client = await this.untilReady(operation);
    try {
      return await command(client);
    } catch (error) {
      throw new StoreUnavailableError(`${this.label} ${operation} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    const client = this.client;
    if (client?.status === 'ready') {
      await client.quit().catch(() => client.disconnect());
    } else {
      client?.disconnect();
    }
  }

  private async untilReady(operation: string): Promise<Redis> {
    if (this.client?.status === 'ready') return this.client;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(`${this.label} ${operation}: Redis is not reachable`)), READY_WAIT_MS);
    });
    try {
      // One shared promise per outage rather than a listener per waiting call, so a burst of callers during an outage
      // piles no listeners onto the client.
      await Promise.race([this.ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
    // Ready is only ever reported by the client.
    return this.client!;
  }

  private onReady(): void {
    if (this.state === 'down') this.logger.info(`${this.label} connection to Redis recovered`);
    else this.logger.info(`${this.label} connected to Redis`);
    this.state = 'up';
    this.errorLoggedThisOutage = false;
    this.markReady();
  }

  private onClose(): void {
    if (this.closing || this.state !== 'up') return;
    this.state = 'down';
    this.resetReady();
    this.logger.warn(`${this.label} connection to Redis lost; reconnecting in the background`);
  }

  /** Once per outage: a reconnect loop would otherwise log the same refusal every two seconds. */
  private onError(error: Error): void {
    if (this.closing || this.errorLoggedThisOutage) return;
    this.errorLoggedThisOutage = true;
    this.logger.warn({ error: error.message }, `${this.label} cannot reach Redis`);
  }

  private resetReady(): void {
    this.ready = new Promise<void>((resolve) => (this.markReady = resolve));
  }
}

/** The url may carry a password (redis://:password@host); logs get the rest of it. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = 'redacted';
    return parsed.toString();
  } catch {
    return '(unparseable url)';
  }
}
