import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseLimitError, SseParser, type SseEvent } from '../src/upstream/sse.js';

/** Feeds the chunks one by one and collects every event. */
function parse(chunks: (string | Uint8Array)[], options?: { maxEventChars?: number }): SseEvent[] {
  const parser = new SseParser(options);
  return chunks.flatMap((chunk) => parser.push(chunk));
}

describe('SseParser', () => {
  it('reads one event with a type and data', () => {
    assert.deepEqual(parse(['event: message\ndata: {"id":1}\n\n']), [{ event: 'message', data: '{"id":1}' }]);
  });

  it('names an event without a type "message"', () => {
    assert.deepEqual(parse(['data: x\n\n']), [{ event: 'message', data: 'x' }]);
  });

  it('joins data lines with LF', () => {
    assert.deepEqual(parse(['data: first\ndata: second\ndata:\ndata: fourth\n\n']), [{ event: 'message', data: 'first\nsecond\n\nfourth' }]);
  });

  it('accepts CRLF, LF and CR line ends, mixed', () => {
    assert.deepEqual(parse(['data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r']), [
      { event: 'message', data: 'a\nb\nc' },
      { event: 'message', data: 'd' },
    ]);
  });

  it('treats a CR at the end of a chunk and an LF at the start of the next as one line end', () => {
    assert.deepEqual(parse(['data: a\r', '\ndata: b\r', '\n\r', '\n']), [{ event: 'message', data: 'a\nb' }]);
  });

  it('treats a CR at the end of a chunk followed by another line as a line end', () => {
    assert.deepEqual(parse(['data: a\r', 'data: b\n\n']), [{ event: 'message', data: 'a\nb' }]);
  });

  it('reassembles events split across chunks at any point', () => {
    const stream = 'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message"}\n\nid: 7\ndata: {"jsonrpc":"2.0","id":"s-1","result":{}}\n\n';
    const whole = parse([stream]);
    assert.equal(whole.length, 2);
    for (let cut = 1; cut < stream.length; cut++) {
      assert.deepEqual(parse([stream.slice(0, cut), stream.slice(cut)]), whole, `cut at ${cut}`);
    }
    assert.deepEqual(parse([...stream]), whole, 'one character per chunk');
  });

  it('decodes UTF-8 characters split across byte chunks', () => {
    const bytes = new TextEncoder().encode('data: héllo ✓ 😀\n\n');
    const events = [];
    for (let cut = 1; cut < bytes.length; cut++) events.push(parse([bytes.subarray(0, cut), bytes.subarray(cut)]));
    for (const got of events) assert.deepEqual(got, [{ event: 'message', data: 'héllo ✓ 😀' }]);
  });

  it('ignores comments, unknown fields and retry', () => {
    assert.deepEqual(parse([': keep-alive\n:\nretry: 1000\nfoo: bar\ndata: x\n: between\n\n']), [{ event: 'message', data: 'x' }]);
  });

  it('does not dispatch an event without data (priming events, keep-alives)', () => {
    assert.deepEqual(parse(['id: 1\n\nevent: ping\n\n: comment\n\n']), []);
  });

  it('keeps the last event id on the events after it and ignores ids with NUL', () => {
    assert.deepEqual(parse(['id: 1\n\ndata: a\n\nid: 2\u0000\ndata: b\n\nid: 3\ndata: c\n\n']), [
      { event: 'message', data: 'a', id: '1' },
      { event: 'message', data: 'b', id: '1' },
      { event: 'message', data: 'c', id: '3' },
    ]);
  });

  it('removes one space after the colon only, and reads a line without a colon as a field with no value', () => {
    assert.deepEqual(parse(['data:  two spaces\ndata:none\ndata\n\n']), [{ event: 'message', data: ' two spaces\nnone\n' }]);
  });

  it('resets the event type after each event', () => {
    assert.deepEqual(parse(['event: custom\ndata: a\n\ndata: b\n\n']), [
      { event: 'custom', data: 'a' },
      { event: 'message', data: 'b' },
    ]);
  });

  it('drops a leading BOM', () => {
    assert.deepEqual(parse(['\uFEFFdata: a\n\n']), [{ event: 'message', data: 'a' }]);
    assert.deepEqual(parse([new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('data: a\n\n')])]), [{ event: 'message', data: 'a' }]);
  });

  it('drops an event the stream ended in the middle of', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push('data: complete\n\ndata: unfinished\n'), [{ event: 'message', data: 'complete' }]);
  });

  it('refuses an event larger than its limit, whether in one line or many', () => {
    assert.throws(() => parse(['data: ' + 'x'.repeat(100)], { maxEventChars: 50 }), SseLimitError);
    assert.throws(() => parse(['data: 0123456789\n'.repeat(10)], { maxEventChars: 50 }), SseLimitError);
    assert.deepEqual(parse(['data: 0123456789\n\n'.repeat(10)], { maxEventChars: 50 }).length, 10);
  });
});
