import assert from 'node:assert/strict';
import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import type { SwitchboardWorld } from '../support/world.js';

/** What clients accept in a tool name (and what the SDK validates). */
const SAFE_TOOL_NAME = /^[A-Za-z0-9._-]+$/;

Given('tool names are limited to {int} characters', function (this: SwitchboardWorld, maxLength: number) {
  this.config.naming = { maxLength };
});

Given('an upstream {string} with the tools:', async function (this: SwitchboardWorld, name: string, table: DataTable) {
  await this.startUpstream(name, 'streamable-http', { tools: table.raw().map(([tool]) => ({ name: tool! })) });
});

When('switchboard restarts', async function (this: SwitchboardWorld) {
  this.toolNamesBeforeRestart = await this.client().toolNames();
  await this.restartSwitchboard();
});

Then('the client sees the same tool names as before', async function (this: SwitchboardWorld) {
  assert.ok(this.toolNamesBeforeRestart, 'no listing was taken before the restart');
  assert.deepEqual(await this.client().toolNames(), this.toolNamesBeforeRestart);
});

Then('the client sees {int} tool(s)', async function (this: SwitchboardWorld, count: number) {
  const listed = await this.client().toolNames();
  assert.equal(listed.length, count, `listed: ${listed.join(', ')}`);
});

Then('every tool name the client sees has at most {int} characters', async function (this: SwitchboardWorld, limit: number) {
  for (const name of await this.client().toolNames()) assert.ok(name.length <= limit, `"${name}" has ${name.length} characters`);
});

Then('every tool name the client sees is made of letters, digits, dots, dashes and underscores only', async function (this: SwitchboardWorld) {
  for (const name of await this.client().toolNames()) assert.match(name, SAFE_TOOL_NAME);
});

Then('the client sees a tool whose name begins with {string}', async function (this: SwitchboardWorld, head: string) {
  const listed = await this.client().toolNames();
  assert.ok(listed.some((name) => name.startsWith(head)), `no name begins with "${head}": ${listed.join(', ')}`);
});

/**
 * Calls every listed tool once and asks the upstreams which of their tools answered: each public name must lead to
 * exactly one upstream tool, no two to the same one, and every upstream tool must be reachable.
 */
Then('each tool the client sees leads to a different upstream tool', async function (this: SwitchboardWorld) {
  const client = this.client();
  const reached = new Map<string, string>();
  for (const name of await client.toolNames()) {
    const before = this.upstreamCallCounts();
    await client.call(name, {});
    assert.ok(client.lastResult && !client.lastResult.isError, `calling "${name}" failed: ${client.lastError?.message ?? client.resultText()}`);
    const hits = this.upstreamCallsSince(before);
    assert.equal(hits.length, 1, `calling "${name}" reached ${hits.length} upstream tools: ${hits.join(', ')}`);
    const previous = [...reached].find(([, hit]) => hit === hits[0]);
    assert.ok(!previous, `"${name}" and "${previous?.[0]}" both lead to ${hits[0]}`);
    reached.set(name, hits[0]!);
  }
  assert.deepEqual([...reached.values()].sort(), this.upstreamToolIds().sort());
});
