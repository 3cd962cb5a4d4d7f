import { LockTimeoutError } from './errors.js';

/**
 * An in-process lock per key: each holder waits for the previous one through a promise chain. Only serialises within
 * one process, which is all the memory store can promise anyway.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly waitMs: number) {}

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    // The next holder waits for the previous one as well as for us, so a waiter that gives up early never lets its
    // successor overlap with a holder still running.
    const tail = previous.then(() => released);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    try {
      await waitAtMost(previous, this.waitMs);
      return await fn();
    } finally {
      release();
    }
  }
}

async function waitAtMost(turn: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LockTimeoutError(`lock not acquired within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([turn, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
