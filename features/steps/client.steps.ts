import assert from 'node:assert/strict';
import { defineParameterType, Given, When, Then } from '@cucumber/cucumber';
import type { SwitchboardWorld } from '../support/world.js';
import { names } from '../support/lists.js';
import { eventually } from '../support/wait.js';

/** `the client` is the scenario's only client; `client "alice"` one of several. */
defineParameterType({
  name: 'client',
  regexp: /the client|client "([^"]*)"/,
  transformer: (name?: string) => name ?? 'default',
});

Given('switchboard is running', async function (this: SwitchboardWorld) {
  await this.startSwitchboard();
});

Given('a client is connected', async function (this: SwitchboardWorld) {
  await this.connect();
});

Given('client {string} is connected', async function (this: SwitchboardWorld, name: string) {
  await this.connect(name);
});

Given('{int} more clients are connected', async function (this: SwitchboardWorld, count: number) {
  for (let i = 1; i <= count; i++) await this.connect(`extra-${i}`);
});

Then('{client} sees exactly the tools {string}', async function (this: SwitchboardWorld, client: string, list: string) {
  assert.deepEqual((await this.client(client).toolNames()).sort(), names(list).sort());
});

Then('{client} sees the tool {string}', async function (this: SwitchboardWorld, client: string, tool: string) {
  assert.ok((await this.client(client).toolNames()).includes(tool), `${tool} is not listed`);
});

Then('{client} does not see the tool {string}', async function (this: SwitchboardWorld, client: string, tool: string) {
  assert.ok(!(await this.client(client).toolNames()).includes(tool), `${tool} is listed`);
});

Then('{client} sees exactly the prompts {string}', async function (this: SwitchboardWorld, client: string, list: string) {
  const prompts = (await this.client(client).client.listPrompts()).prompts.map((p) => p.name);
  assert.deepEqual(prompts.sort(), names(list).sort());
});

Then('the client sees {int} upstream resources', async function (this: SwitchboardWorld, count: number) {
  // auth://status is switchboard's own.
  const resources = (await this.client().client.listResources()).resources.filter((r) => r.uri !== 'auth://status');
  assert.equal(resources.length, count);
});

/** `with text "hi"` passes the argument `text`; any one-word argument name works the same way. */
When('{client} calls {string} with {word} {string}', async function (this: SwitchboardWorld, client: string, tool: string, argument: string, value: string) {
  await this.client(client).call(tool, { [argument]: value });
});

When('{client} calls {string}', async function (this: SwitchboardWorld, client: string, tool: string) {
  await this.client(client).call(tool, {});
});

Then('the result is {string}', function (this: SwitchboardWorld, text: string) {
  assert.equal(this.client().resultText(), text);
  assert.notEqual(this.client().lastResult?.isError, true);
});

Then('the result mentions {string}', function (this: SwitchboardWorld, words: string) {
  assert.notEqual(this.client().lastResult?.isError, true, `the call failed: ${this.client().lastError?.message ?? this.client().resultText()}`);
  assert.ok(this.client().resultText().includes(words), `"${this.client().resultText()}" does not mention "${words}"`);
});

Then('the call fails with a tool error mentioning {string}', function (this: SwitchboardWorld, words: string) {
  const result = this.client().lastResult;
  assert.ok(result, `expected a tool error, got a protocol error: ${this.client().lastError?.message}`);
  assert.equal(result.isError, true, `expected isError, got ${JSON.stringify(result)}`);
  assert.ok(this.client().resultText().includes(words), `"${this.client().resultText()}" does not mention "${words}"`);
});

/**
 * The client was not asked for what it cannot do, and learned why. A 2025 client gets a tool error; a 2026-07-28
 * client in front of a 2025 server gets MissingRequiredClientCapabilityError (-32021) from switchboard, which could
 * not ask it; in front of a 2026 server, which is told the client's capabilities, it gets that server's own answer.
 */
Then('the call fails, telling the client it does not support {string}', function (this: SwitchboardWorld, capability: string) {
  const client = this.client();
  if (this.clientEra === 'modern' && this.upstreamEra === 'legacy') {
    const error = client.lastError as (Error & { code?: number }) | undefined;
    assert.ok(error, `expected -32021, got a result: ${JSON.stringify(client.lastResult)}`);
    assert.equal(error.code, -32021, error.message);
    assert.ok(error.message.includes(capability), `"${error.message}" does not mention "${capability}"`);
    return;
  }
  assert.equal(client.lastResult?.isError, true, `expected a tool error, got ${client.lastError?.message ?? JSON.stringify(client.lastResult)}`);
  assert.ok(client.resultText().includes(capability), `"${client.resultText()}" does not mention "${capability}"`);
});

Then('the call fails with a protocol error mentioning {string}', function (this: SwitchboardWorld, words: string) {
  const error = this.client().lastError;
  assert.ok(error, `expected a protocol error, got a result: ${JSON.stringify(this.client().lastResult)}`);
  assert.ok(error.message.includes(words), `"${error.message}" does not mention "${words}"`);
});

When('the client gets the prompt {string}', async function (this: SwitchboardWorld, name: string) {
  const result = await this.client().client.getPrompt({ name });
  this.promptText = result.messages.map((m) => (m.content.type === 'text' ? m.content.text : '')).join('\n');
});

Then('the prompt text mentions {string}', function (this: SwitchboardWorld, words: string) {
  assert.ok(this.promptText?.includes(words), `"${this.promptText}" does not mention "${words}"`);
});

When('the client reads the resource {string}', async function (this: SwitchboardWorld, uri: string) {
  const result = await this.client().client.readResource({ uri });
  const first = result.contents[0];
  this.resourceText = first && 'text' in first ? String(first.text) : undefined;
});

Then('the resource text is {string}', function (this: SwitchboardWorld, text: string) {
  assert.equal(this.resourceText, text);
});

When('every client calls {string} {int} times concurrently with its own text', async function (this: SwitchboardWorld, tool: string, times: number) {
  this.concurrentResults = new Map();
  await Promise.all([...this.clients].map(async ([name, client]) => {
    const results = await Promise.all(Array.from({ length: times }, async (_, i) => {
      const result = await client.client.callTool({ name: tool, arguments: { text: `${name}#${i}` } });
      return (result.content as { text: string }[])[0]!.text;
    }));
    this.concurrentResults!.set(name, results);
  }));
});

Then('every client got back exactly its own texts', function (this: SwitchboardWorld) {
  assert.ok(this.concurrentResults && this.concurrentResults.size > 1);
  for (const [name, results] of this.concurrentResults) {
    assert.deepEqual(results, results.map((_, i) => `${name}#${i}`));
  }
});

When('the client lists its tools {int} times concurrently', async function (this: SwitchboardWorld, times: number) {
  this.listings = await Promise.all(Array.from({ length: times }, () => this.client().toolNames()));
});

Then('all {int} listings contain {int} tools', function (this: SwitchboardWorld, times: number, count: number) {
  assert.equal(this.listings?.length, times);
  for (const listing of this.listings!) assert.equal(listing.length, count);
});

Then('{client} is told that the tool list changed', async function (this: SwitchboardWorld, client: string) {
  await eventually(() => this.client(client).count('notifications/tools/list_changed') > 0, `notifications/tools/list_changed to ${client}`);
});

Then('{client} is told that the prompt list changed', async function (this: SwitchboardWorld, client: string) {
  await eventually(() => this.client(client).count('notifications/prompts/list_changed') > 0, `notifications/prompts/list_changed to ${client}`);
});

Then('{client} was not told that the tool list changed', function (this: SwitchboardWorld, client: string) {
  const told = this.client(client).count('notifications/tools/list_changed');
  assert.equal(told, 0, `the client was told ${told} times that the tool list changed`);
});

Then('{client} eventually sees the tool {string}', async function (this: SwitchboardWorld, client: string, tool: string) {
  await eventually(async () => (await this.client(client).toolNames()).includes(tool), `${tool} to be listed`);
});

Then('{client} eventually no longer sees the tool {string}', async function (this: SwitchboardWorld, client: string, tool: string) {
  await eventually(async () => !(await this.client(client).toolNames()).includes(tool), `${tool} to disappear`);
});
