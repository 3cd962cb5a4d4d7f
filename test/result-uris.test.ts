import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { toolResultWithPublicUris } from '../src/catalog/index.js';

describe('toolResultWithPublicUris', () => {
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
    const rewritten = toolResultWithPublicUris(result, 'docs', true);
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
    toolResultWithPublicUris(result, 'docs', true);
    assert.deepEqual(result, before);
  });

  it('passes an unprefixed server\'s result, and a result without links, as they are', () => {
    assert.equal(toolResultWithPublicUris(result, 'docs', false), result);
    const plain: CallToolResult = { content: [{ type: 'text', text: 'hi' }] };
    assert.equal(toolResultWithPublicUris(plain, 'docs', true), plain);
  });

  it('leaves malformed blocks from an upstream alone instead of failing', () => {
    const malformed = { content: [null, { type: 'resource_link' }, { type: 'resource', resource: 'x' }, { type: 'resource_link', uri: 'demo://c', name: 'c' }] } as unknown as CallToolResult;
    const rewritten = toolResultWithPublicUris(malformed, 'docs', true);
    assert.deepEqual(rewritten.content, [null, { type: 'resource_link' }, { type: 'resource', resource: 'x' }, { type: 'resource_link', uri: 'docs+demo://c', name: 'c' }]);
  });
});
