import type { Readable } from 'node:stream';
import { parseJSONRPCMessage, PROTOCOL_VERSION_META_KEY, type JSONRPCMessage, type Request, type RequestId, type StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createParser } from 'eventsource-parser';
import type { Logger } from '../log/index.js';
import { UpstreamConnectionClosedError, UpstreamHttpError, UpstreamProtocolError, UpstreamRequestError, UpstreamTimeoutError } from './errors.js';
import type { UpstreamFetch, UpstreamPostResponse } from './fetch.js';
import { paramHeaderValues, scanParamHeaders } from './param-headers.js';

/**
 * tools/call over Streamable HTTP without the SDK client's request path. Through the SDK, each call builds a fetch
 * Request and Response, pipes the answer through a TextDecoderStream and an EventSourceParserStream, and validates
 * every message: more CPU than the upstream spends on the call. Here the request is POSTed with undici's
 * `request()` through the connection's own fetch wrapper (same headers, credentials and 401 handling) and the answer
 * is parsed as it arrives (MCP 2025-11-25 basic/transports#sending-messages-to-the-server: one JSON object, or an SSE
 * stream that ends with the response).
 *
 * The SDK client still owns the session: anything else on the answer's stream (logs, progress, roots/list or
 * sampling requests) is handed to its transport's `onmessage`, as if its own transport had read it, so its handlers
 * (and the connection's progress relay, progress.ts) run and its requests are answered, in the order they arrived.
 * Our request ids are strings (`switchboard-N`) and the SDK's are numbers: no two requests in flight on the session
 * share an id. A 2026 call carries the connection's envelope and the `MCP-Protocol-Version`, `Mcp-Method` and
 * `Mcp-Name` headers (MCP 2026-07-28 basic/transports) instead of a session id, and the `Mcp-Param-*` headers of the
 * tool's x-mcp-header parameters (SEP-2243, param-headers.ts); an input_required result is returned as it is, for
 * the connection's relay (input-required.ts).
 */
export interface DirectCallerOptions {
  server: string;
  transport: StreamableHTTPClientTransport;
  post: UpstreamFetch['post'];
  logger: Logger;
  /**
   * 2026-07-28: the envelope every request carries in `_meta` (protocol version, client info and capabilities; MCP
   * 2026-07-28 basic, "Request metadata"). Absent for a 2025 session, whose requests carry its session id instead.
   */
  envelope?: Record<string, unknown>;
  /** 2026-07-28: the input schema of an upstream tool as listed, whose x-mcp-header parameters are mirrored. */
  toolSchema?: (name: string) => unknown;
}

export interface DirectCallOptions {
  /** Aborting it ends the call; a reason that is an UpstreamTimeoutError reports a timeout. */
  signal?: AbortSignal;
  /** Sends notifications/cancelled for the request (MCP 2025-11-25 basic/utilities/cancellation). */
  cancel(requestId: RequestId, reason: string): void;
  /**
   * Sees each other message on this call's own answer (a request or log the upstream sent during the call) before the
   * SDK client does; true when it took the message, which then does not reach the SDK client.
   */
  onMessage?: (message: JSONRPCMessage) => boolean;
}

/** The upstream redirected the call; the SDK path (which follows redirects within the origin) must take it. */
export class DirectCallRefused extends Error {
  override readonly name = 'DirectCallRefused';
}

type PassThroughResult = Record<string, unknown>;

interface ResponseMessage {
  id: RequestId;
  result?: unknown;
  error?: { code?: unknown; message?: unknown; data?: unknown };
}

interface PendingCall {
  resolve(message: ResponseMessage): void;
  reject(error: unknown): void;
}

/** A tool result can carry images or files as base64; anything larger than this is not an answer we relay. */
const MAX_EVENT_CHARS = 64 * 1024 * 1024;

/** After our response, a stream that has not ended yet is read (and discarded) this long and this far, to keep the socket. */
const DRAIN_LIMIT_BYTES = 64 * 1024;
const DRAIN_TIMEOUT_MS = 2_000;

/** Before resuming a stream the server ended early, without its `retry`: the SDK client's first reconnection delay. */
const DEFAULT_RESUME_DELAY_MS = 1_000;

export class DirectCaller {
  private nextId = 0;
  private readonly pending = new Map<RequestId, PendingCall>();
  private readonly controllers = new Set<AbortController>();
  private hooked = false;

  constructor(private readonly options: DirectCallerOptions) {}

  async call(request: Request, options: DirectCallOptions): Promise<PassThroughResult> {
    this.hook();
    const id = `switchboard-${this.nextId++}`;
    const controller = new AbortController();
    let pending!: PendingCall;
    const answer = new Promise<ResponseMessage>((resolve, reject) => {
      pending = { resolve, reject };
    });
    const stop = (error: unknown, reason: string) => {
      if (!this.pending.has(id)) return;
      pending.reject(error);
      options.cancel(id, reason);
      controller.abort();
    };
    const signal = options.signal;
    const onAbort = () => {
      const reason: unknown = signal?.reason;
      if (reason instanceof UpstreamTimeoutError) stop(reason, `timed out after ${reason.timeoutMs} ms`);
      else stop(abortError(reason), 'the client cancelled the request');
    };
    this.pending.set(id, pending);
    this.controllers.add(controller);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    else void this.send(id, request, controller.signal, options.onMessage).catch((error: unknown) => this.pending.get(id)?.reject(error));
    try {
      return toResult(await answer);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.pending.delete(id);
      this.controllers.delete(controller);
    }
  }

  /** The connection is closing: calls in flight end with UpstreamConnectionClosedError. */
  abortAll(): void {
    const error = new UpstreamConnectionClosedError();
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
    for (const controller of this.controllers) controller.abort();
    this.controllers.clear();
  }

  /**
   * Responses to our ids that arrive through the SDK transport (a POST answer resumed on a GET stream with
   * Last-Event-ID, MCP 2025-11-25 basic/transports#resumability-and-redelivery) come to us; everything else goes on
   * to the SDK client. Installed on the first call: the client sets `onmessage` when it connects.
   */
  private hook(): void {
    if (this.hooked) return;
    this.hooked = true;
    const transport = this.options.transport;
    const sdk = transport.onmessage;
    transport.onmessage = (message) => {
      if (!this.deliver(message)) sdk?.(message);
    };
  }

  /** Settles the call a response belongs to; false when the message is not a response to one of ours. */
  private deliver(message: unknown): boolean {
    if (typeof message !== 'object' || message === null || !('id' in message) || (!('result' in message) && !('error' in message))) return false;
    const id = (message as ResponseMessage).id;
    const call = this.pending.get(id);
    if (!call) return false;
    // Settled now: what the reader checks next ("did the answer hold our response?") must see it.
    this.pending.delete(id);
    call.resolve(message as ResponseMessage);
    return true;
  }

  private async send(id: string, request: Request, signal: AbortSignal, onMessage: DirectCallOptions['onMessage']): Promise<void> {
    const transport = this.options.transport;
    const envelope = this.options.envelope;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    let params = request.params;
    if (envelope) {
      headers['mcp-protocol-version'] = String(envelope[PROTOCOL_VERSION_META_KEY]);
      headers['mcp-method'] = request.method;
      headers['mcp-name'] = String(params?.name);
      const scan = scanParamHeaders(this.options.toolSchema?.(String(params?.name)));
      if (scan.ok) Object.assign(headers, paramHeaderValues(scan.headers, params?.arguments as Record<string, unknown> | undefined));
      params = { ...params, _meta: { ...envelope, ...params?._meta } };
    } else {
      if (transport.sessionId) headers['mcp-session-id'] = transport.sessionId;
      if (transport.protocolVersion) headers['mcp-protocol-version'] = transport.protocolVersion;
    }
    const body = JSON.stringify({ jsonrpc: '2.0', id, method: request.method, params });
    const response = await this.options.post(headers, body, signal);
    const status = response.statusCode;
    // MCP 2026-07-28 basic/transports: a request the server refuses is answered with a 4xx carrying the JSON-RPC error.
    if (envelope && status >= 400 && status < 500 && mediaType(response.headers['content-type']) === 'application/json') {
      await this.readJson(id, response, onMessage).catch(() => {});
      if (!this.pending.has(id)) return;
    }
    if (status < 200 || status >= 300) {
      void response.body.dump().catch(() => {});
      if (status >= 300 && status < 400) throw new DirectCallRefused(`HTTP ${status}`);
      throw new UpstreamHttpError(status);
    }
    const type = mediaType(response.headers['content-type']);
    if (type === 'text/event-stream') return this.readEventStream(id, response.body, onMessage);
    if (type === 'application/json') return this.readJson(id, response, onMessage);
    void response.body.dump().catch(() => {});
    throw new UpstreamProtocolError(`unexpected content type ${type || '(none)'} for a request`);
  }

  private async readJson(id: string, response: UpstreamPostResponse, onMessage: DirectCallOptions['onMessage']): Promise<void> {
    const parsed: unknown = JSON.parse(await response.body.text());
    for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
      if (this.isOurs(message, id)) this.deliver(message);
      else this.toClient(message, onMessage);
    }
    if (this.pending.has(id)) throw new UpstreamProtocolError('the upstream answered without a response to the request');
  }

  private readEventStream(id: string, body: Readable, onMessage: DirectCallOptions['onMessage']): Promise<void> {
    let lastEventId: string | undefined;
    let retryMs: number | undefined;
    return new Promise<void>((resolve, reject) => {
      const decoder = new TextDecoder();
      let done = false;
      const finish = (error?: unknown) => {
        if (done) return;
        done = true;
        body.off('data', onData);
        body.off('end', onEnd);
        body.off('error', onError);
        // Whatever happens to the body from now on (an abort, a reset) must not be an unhandled 'error' event.
        body.on('error', ignore);
        if (error === undefined) resolve();
        else reject(error);
      };
      // WHATWG HTML "Interpreting an event stream", by eventsource-parser; events are handled as they complete.
      const parser = createParser({
        maxBufferSize: MAX_EVENT_CHARS,
        onRetry: (ms) => {
          retryMs = ms;
        },
        onEvent: (event) => {
          if (done) return;
          if (event.id !== undefined) lastEventId = event.id;
          if (event.event !== undefined && event.event !== 'message') return;
          let message: unknown;
          try {
            message = JSON.parse(event.data);
          } catch {
            this.options.logger.debug('upstream sent an event that is not JSON; ignored');
            return;
          }
          if (this.isOurs(message, id)) {
            this.deliver(message);
            finish();
            release(body);
            return;
          }
          this.toClient(message, onMessage);
        },
        onError: (error) => {
          if (error.type !== 'max-buffer-size-exceeded') return;
          body.destroy();
          finish(new UpstreamProtocolError(`an event of the upstream's event stream is longer than ${MAX_EVENT_CHARS} characters`));
        },
      });
      const onData = (chunk: Buffer) => parser.feed(decoder.decode(chunk, { stream: true }));
      const onEnd = () => {
        if (!this.pending.has(id)) finish();
        // MCP 2025-11-25 basic/transports#resumability-and-redelivery: a server may end the stream early after an
        // event id; the response then comes on a GET stream resumed from that id, and hook() routes it to the call.
        // It first waits the `retry` the stream gave, as the SDK client does (SEP-1699, MCP 2025-11-25 basic/transports:
        // a client respects the server's retry interval before it reconnects).
        else if (lastEventId !== undefined) {
          const resumeFrom = lastEventId;
          const timer = setTimeout(() => {
            if (this.pending.has(id)) void this.options.transport.resumeStream(resumeFrom).catch(() => {});
          }, retryMs ?? DEFAULT_RESUME_DELAY_MS);
          timer.unref();
          finish();
        } else finish(new UpstreamProtocolError('the upstream ended its answer without a response to the request'));
      };
      const onError = (error: Error) => finish(error);
      body.on('data', onData);
      body.on('end', onEnd);
      body.on('error', onError);
    });
  }

  private isOurs(message: unknown, id: string): boolean {
    return typeof message === 'object' && message !== null && (message as { id?: unknown }).id === id && ('result' in message || 'error' in message);
  }

  /** A message that is not our response goes to the call's own handler, then the SDK client, validated as its transport would. */
  private toClient(message: unknown, onMessage: DirectCallOptions['onMessage']): void {
    let parsed;
    try {
      parsed = parseJSONRPCMessage(message);
    } catch {
      this.options.logger.debug('upstream sent a message that is not JSON-RPC; ignored');
      return;
    }
    if (onMessage?.(parsed)) return;
    this.options.transport.onmessage?.(parsed);
  }
}

/** The result as the upstream sent it (not validated: the downstream client validates), or its JSON-RPC error. */
function toResult(message: ResponseMessage): PassThroughResult {
  if (message.error !== undefined) {
    const { code, message: text, data } = message.error;
    if (typeof code !== 'number' || typeof text !== 'string') throw new UpstreamProtocolError('the upstream answered with a malformed JSON-RPC error');
    throw new UpstreamRequestError(code, text, data);
  }
  const result = message.result;
  if (typeof result !== 'object' || result === null || Array.isArray(result)) throw new UpstreamProtocolError('the upstream answered with a result that is not an object');
  // MCP 2026-07-28: `resultType: "complete"` is the wire form of an ordinary result; relayed as the SDK path does, without it.
  if ((result as { resultType?: unknown }).resultType === 'complete') {
    const { resultType: _complete, ...rest } = result as Record<string, unknown>;
    return rest;
  }
  return result as PassThroughResult;
}

function ignore(): void {}

function abortError(reason: unknown): Error {
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException(typeof reason === 'string' ? reason : 'The operation was aborted', 'AbortError');
}

function mediaType(value: string | string[] | undefined): string {
  const first = Array.isArray(value) ? value[0] : value;
  return (first?.split(';')[0] ?? '').trim().toLowerCase();
}

/**
 * Our response is in; the server ends the stream right after it (MCP 2025-11-25: it SHOULD), often in the next
 * chunk. Reading that end keeps the keep-alive socket for the next call, where destroying the body would close it.
 * A stream that goes on is cut after a short while or a few kilobytes.
 */
function release(body: Readable): void {
  if (body.readableEnded || body.destroyed) return;
  let left = DRAIN_LIMIT_BYTES;
  const timer = setTimeout(() => body.destroy(), DRAIN_TIMEOUT_MS);
  timer.unref();
  body.on('data', (chunk: Buffer) => {
    left -= chunk.length;
    if (left < 0) body.destroy();
  });
  body.once('close', () => clearTimeout(timer));
}
