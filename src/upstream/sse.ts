/**
 * An incremental text/event-stream parser (WHATWG HTML, "Interpreting an event stream") for the answers to our own
 * POSTs (src/upstream/direct-call.ts). The SDK pipes each answer through a TextDecoderStream and an
 * EventSourceParserStream, two web streams built per request; this is a plain object fed with the body's chunks.
 *
 * What the spec asks and this does: lines end with CRLF, LF or CR (a CR at the end of one chunk and an LF at the start
 * of the next are one line end); a leading BOM is dropped; lines starting with ':' are comments; `field: value` loses
 * one space after the colon; a line without a colon is a field with an empty value; `data` lines are joined with LF;
 * a blank line dispatches the event, unless it has no data; `id` values containing NUL are ignored; `retry` is not
 * used here (the POST answer is never resumed). An event left unfinished when the stream ends is dropped.
 */
export interface SseEvent {
  /** The event type; `message` when the event named none. */
  event: string;
  data: string;
  /** The last event id seen on the stream so far, if any. */
  id?: string;
}

/** An upstream sent a line or an event larger than the parser accepts. */
export class SseLimitError extends Error {
  override readonly name = 'SseLimitError';
  constructor(readonly limitBytes: number) {
    super(`an event of the upstream's event stream is longer than ${limitBytes} characters`);
  }
}

/** A tool result can carry images or files as base64; anything larger than this is not an answer we relay. */
const DEFAULT_MAX_EVENT_CHARS = 64 * 1024 * 1024;

export class SseParser {
  private readonly decoder = new TextDecoder();
  private readonly maxEventChars: number;
  /** Text after the last complete line. */
  private pending = '';
  private started = false;
  /** The previous chunk ended with CR: an LF at the start of the next one belongs to that line end. */
  private afterCr = false;
  private data: string[] = [];
  private dataChars = 0;
  private eventType = '';
  private lastEventId: string | undefined;

  constructor(options: { maxEventChars?: number } = {}) {
    this.maxEventChars = options.maxEventChars ?? DEFAULT_MAX_EVENT_CHARS;
  }

  /** Feeds the next chunk of the body (bytes, decoded as UTF-8 across chunk borders, or text) and returns the events it completed. */
  push(chunk: Uint8Array | string): SseEvent[] {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const events: SseEvent[] = [];
    if (text === '') return events;
    if (!this.started) {
      this.started = true;
      // TextDecoder drops a BOM from bytes; text pushed as it is may still start with one.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.afterCr && text.charCodeAt(0) === 0x0a) text = text.slice(1);
    this.afterCr = false;
    let start = 0;
    const length = text.length;
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code !== 0x0a && code !== 0x0d) continue;
      const line = start === 0 && this.pending ? this.pending + text.slice(0, i) : text.slice(start, i);
      if (start === 0) this.pending = '';
      this.line(line, events);
      if (code === 0x0d) {
        if (i + 1 === length) this.afterCr = true;
        else if (text.charCodeAt(i + 1) === 0x0a) i++;
      }
      start = i + 1;
    }
    if (start < length) {
      this.pending = start === 0 ? this.pending + text : text.slice(start);
      if (this.pending.length + this.dataChars > this.maxEventChars) throw new SseLimitError(this.maxEventChars);
    }
    return events;
  }

  private line(line: string, events: SseEvent[]): void {
    if (line === '') {
      this.dispatch(events);
      return;
    }
    if (line.charCodeAt(0) === 0x3a) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    switch (field) {
      case 'data':
        this.dataChars += value.length + 1;
        if (this.dataChars > this.maxEventChars) throw new SseLimitError(this.maxEventChars);
        this.data.push(value);
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\u0000')) this.lastEventId = value;
        break;
      default:
        // `retry` and unknown fields: nothing to do for a POST answer.
        break;
    }
  }

  private dispatch(events: SseEvent[]): void {
    if (this.data.length > 0) {
      const event: SseEvent = { event: this.eventType || 'message', data: this.data.length === 1 ? this.data[0]! : this.data.join('\n') };
      if (this.lastEventId !== undefined) event.id = this.lastEventId;
      events.push(event);
    }
    this.data = [];
    this.dataChars = 0;
    this.eventType = '';
  }
}
