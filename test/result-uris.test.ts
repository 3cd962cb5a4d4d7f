import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallToolResult, GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import { resultWithPublicUris } from '../src/catalog/index.js';

describe('resultWithPublicUris of a tool result', () => {
  const result: CallToolResult = {
    content: [
      { type: 'text', text: 'see demo://a' },
      { type: 'resource_link', uri: 'demo://a', name: 'a', mimeType: 'text/plain' },
      { type: 'resource', resource: { uri: 'demo://b', mimeType: 'text/plain', text: 'b' } },
    ],
    structuredContent: { uri: 'demo://a' },
    _meta: { note: 'demo://a' },
  };

  it("names links and embedded resources of a prefixed server by the session's public URI", () => {
    const rewritten = resultWithPublicUris(result, 'docs', true);
    assert.deepEqual(rewritten.content, [
      { type: 'text', text: 'see demo://a' },
      { type: 'resource_link', uri: 'docs+demo://a', name: 'a', mimeType: 'text/plain' },
      { type: 'resource', resource: { uri: 'docs+demo://b', mimeType: 'text/plain', text: 'b' } },
    ]);
    // Text, structured content and _meta are the server's own words: left as they are.
    assert.deepEqual(rewritten.structuredContent, result.structuredContent);
    assert.deepEqual(rewritten._meta, result._meta);
  });

  it("leaves the upstream's result unchanged", () => {
    const before = structuredClone(result);
    resultWithPublicUris(result, 'docs', true);
    assert.deepEqual(result, before);
  });

  it('passes an unprefixed server\'s result, and a result without links, as they are', () => {
    assert.equal(resultWithPublicUris(result, 'docs', false), result);
    const plain: CallToolResult = { content: [{ type: 'text', text: 'hi' }] };
    assert.equal(resultWithPublicUris(plain, 'docs', true), plain);
  });

  it('leaves malformed blocks from an upstream alone instead of failing', () => {
    const malformed = { content: [null, { type: 'resource_link' }, { type: 'resource', resource: 'x' }, { type: 'resource_link', uri: 'demo://c', name: 'c' }] } as unknown as CallToolResult;
    const rewritten = resultWithPublicUris(malformed, 'docs', true);
    assert.deepEqual(rewritten.content, [null, { type: 'resource_link' }, { type: 'resource', resource: 'x' }, { type: 'resource_link', uri: 'docs+demo://c', name: 'c' }]);
  });
});

describe('resultWithPublicUris of a prompt result', () => {
  const result: GetPromptResult = {
    description: 'about demo://a',
    messages: [
      { role: 'user', content: { type: 'text', text: 'read demo://a' } },
      { role: 'user', content: { type: 'resource', resource: { uri: 'demo://a', mimeType: 'text/plain', text: 'a' } } },
      { role: 'assistant', content: { type: 'resource_link', uri: 'demo://b', name: 'b' } },
    ],
  };

  it("names the resources that its messages embed or link to by the session's public URI", () => {
    const rewritten = resultWithPublicUris(result, 'docs', true);
    assert.deepEqual(rewritten, {
      description: 'about demo://a',
      messages: [
        { role: 'user', content: { type: 'text', text: 'read demo://a' } },
        { role: 'user', content: { type: 'resource', resource: { uri: 'docs+demo://a', mimeType: 'text/plain', text: 'a' } } },
        { role: 'assistant', content: { type: 'resource_link', uri: 'docs+demo://b', name: 'b' } },
      ],
    });
  });

  it("leaves the upstream's result unchanged, and passes a result without resources as it is", () => {
    const before = structuredClone(result);
    resultWithPublicUris(result, 'docs', true);
    assert.deepEqual(result, before);
    assert.equal(resultWithPublicUris(result, 'docs', false), result);
    const plain: GetPromptResult = { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }] };
    assert.equal(resultWithPublicUris(plain, 'docs', true), plain);
  });

  it('leaves malformed messages from an upstream alone instead of failing', () => {
    const malformed = { messages: [null, { role: 'user' }, { role: 'user', content: { type: 'resource', resource: { uri: 'demo://c' } } }] } as unknown as GetPromptResult;
    assert.deepEqual(resultWithPublicUris(malformed, 'docs', true).messages, [null, { role: 'user' }, { role: 'user', content: { type: 'resource', resource: { uri: 'docs+demo://c' } } }]);
  });
});
