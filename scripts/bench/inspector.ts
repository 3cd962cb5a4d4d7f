import { WebSocket } from 'undici';

/**
 * A Chrome DevTools Protocol session with a bench child started with `--inspect=127.0.0.1:0`: the bench forces a full
 * garbage collection there before it reads memory, so a figure says what is still referenced, not when V8 last
 * happened to collect. (HeapProfiler.collectGarbage is what DevTools' "collect garbage" button sends.)
 */
export class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
      const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id!);
      if (message.error) waiter.reject(new Error(message.error.message));
      else waiter.resolve(message.result);
    });
    socket.addEventListener('close', () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error('the inspector connection closed'));
      this.pending.clear();
    });
  }

  /** `url` is the ws:// address the child printed ("Debugger listening on ws://..."). */
  static async connect(url: string): Promise<Inspector> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener('error', () => reject(new Error(`could not reach the inspector at ${url}`)), { once: true });
    });
    return new Inspector(socket);
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Two full collections: the first may only queue finalizers and weak callbacks that free more. */
  async collectGarbage(): Promise<void> {
    await this.send('HeapProfiler.collectGarbage');
    await this.send('HeapProfiler.collectGarbage');
  }

  /** Evaluates an expression in the child and returns its value (JSON-serialisable values only). */
  async evaluate<T>(expression: string): Promise<T> {
    const answer = (await this.send('Runtime.evaluate', { expression, returnByValue: true })) as { result: { value: T }; exceptionDetails?: unknown };
    if (answer.exceptionDetails) throw new Error(`evaluating ${expression} failed`);
    return answer.result.value;
  }

  close(): void {
    this.socket.close();
  }
}
