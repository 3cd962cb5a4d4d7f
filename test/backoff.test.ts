import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from '../src/upstream/index.js';

describe('backoffDelay', () => {
  const policy = { initialMs: 500, maxMs: 30_000 };
  it('grows exponentially within [ceiling/2, ceiling]', () => {
    assert.equal(backoffDelay(0, policy, () => 0), 250);
    assert.equal(backoffDelay(0, policy, () => 1), 500);
    assert.equal(backoffDelay(3, policy, () => 1), 4_000);
  });
  it('is capped', () => {
    assert.equal(backoffDelay(50, policy, () => 1), 30_000);
    assert.ok(backoffDelay(1_000, policy) <= 30_000);
  });
});
