import type { Transport } from '@modelcontextprotocol/client';

export interface Progress {
  progress: number;
  total?: number;
  message?: string;
}

/**
 * Relays progress notifications of our calls ourselves, in the order they arrive and before the result.
 * Both SDKs dispatch a notification a microtask late but a response at once, and drop the progress handler with
 * the response: the last progress of a call that arrives in the same chunk as its result was lost (issue 6; seen
 * over stdio and SSE). Here the transport's messages are looked at first: a progress notification for one of our
 * tokens is handed to its call synchronously and never reaches the SDK.
 *
 * MCP 2025-11-25 basic/utilities/progress: the token is ours (one per call), so progress of two calls never mixes.
 */
export class ProgressRelay {
  private next = 0;
  private readonly calls = new Map<string, (progress: Progress) => void>();

  /** Installs the relay on a connected transport; call after the SDK client has set its own `onmessage`. */
  install(transport: Transport): void {
    const sdk = transport.onmessage;
    transport.onmessage = (message, extra) => {
      if (!this.take(message)) sdk?.(message, extra);
    };
  }

  /** A token for one call; `release` it when the call has ended. */
  open(onprogress: (progress: Progress) => void): string {
    const token = `switchboard-progress-${this.next++}`;
    this.calls.set(token, onprogress);
    return token;
  }

  release(token: string): void {
    this.calls.delete(token);
  }

  private take(message: unknown): boolean {
    const m = message as { method?: unknown; params?: { progressToken?: unknown; progress?: unknown; total?: unknown; message?: unknown } };
    if (m?.method !== 'notifications/progress' || typeof m.params?.progressToken !== 'string') return false;
    const call = this.calls.get(m.params.progressToken);
    if (!call) return false;
    if (typeof m.params.progress !== 'number') return true;
    const progress: Progress = { progress: m.params.progress };
    if (typeof m.params.total === 'number') progress.total = m.params.total;
    if (typeof m.params.message === 'string') progress.message = m.params.message;
    call(progress);
    return true;
  }
}
