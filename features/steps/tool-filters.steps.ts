import assert from 'node:assert/strict';
import { Given, Then } from '@cucumber/cucumber';
import { ConfigError } from '../../src/config/index.js';
import { names } from '../support/lists.js';
import type { SwitchboardWorld } from '../support/world.js';

function toolSettings(world: SwitchboardWorld, server: string): Record<string, unknown> {
  const settings = world.upstream(server).settings;
  settings.tools ??= {};
  return settings.tools as Record<string, unknown>;
}

function entry(settings: Record<string, unknown>, key: string): Record<string, unknown> {
  settings[key] ??= {};
  return settings[key] as Record<string, unknown>;
}

Given('the upstream {string} offers only the tools {string}', function (this: SwitchboardWorld, server: string, allow: string) {
  toolSettings(this, server).allow = names(allow);
});

Given('the upstream {string} offers only the tools {string} but not {string}', function (this: SwitchboardWorld, server: string, allow: string, deny: string) {
  Object.assign(toolSettings(this, server), { allow: names(allow), deny: names(deny) });
});

Given('the upstream {string} renames the tool {string} to {string}', function (this: SwitchboardWorld, server: string, tool: string, name: string) {
  entry(toolSettings(this, server), 'rename')[tool] = name;
});

Given('the upstream {string} describes the tool {string} as {string}', function (this: SwitchboardWorld, server: string, tool: string, description: string) {
  entry(toolSettings(this, server), 'describe')[tool] = description;
});

Given('the upstream {string} marks the tool {string} as destructive and the tool {string} as read-only', function (this: SwitchboardWorld, server: string, destructive: string, readOnly: string) {
  const annotations = entry(toolSettings(this, server), 'annotations');
  annotations[destructive] = { destructiveHint: true, readOnlyHint: false };
  annotations[readOnly] = { readOnlyHint: true, destructiveHint: false };
});

Given('the upstream {string} offers only the prompts {string} and the resources {string}', function (this: SwitchboardWorld, server: string, prompts: string, resources: string) {
  const settings = this.upstream(server).settings;
  settings.prompts = { allow: names(prompts) };
  settings.resources = { allow: names(resources) };
});

Given('the upstream {string} has the tool setting {string} set to {string}', function (this: SwitchboardWorld, server: string, key: string, value: string) {
  toolSettings(this, server)[key] = value;
});

async function listedTool(world: SwitchboardWorld, name: string) {
  const tool = (await world.client().client.listTools()).tools.find((t) => t.name === name);
  assert.ok(tool, `no tool ${name}`);
  return tool;
}

Then('the tool {string} is described as {string}', async function (this: SwitchboardWorld, name: string, description: string) {
  assert.equal((await listedTool(this, name)).description, description);
});

Then('the tool {string} is marked read-only', async function (this: SwitchboardWorld, name: string) {
  const { annotations } = await listedTool(this, name);
  assert.equal(annotations?.readOnlyHint, true, JSON.stringify(annotations));
  assert.equal(annotations?.destructiveHint, false, JSON.stringify(annotations));
});

Then('the tool {string} is marked destructive', async function (this: SwitchboardWorld, name: string) {
  const { annotations } = await listedTool(this, name);
  assert.equal(annotations?.destructiveHint, true, JSON.stringify(annotations));
  assert.equal(annotations?.readOnlyHint, false, JSON.stringify(annotations));
});

Then('no call reached the upstream {string}', function (this: SwitchboardWorld, server: string) {
  assert.deepEqual(this.mock(server).calls(), []);
});

Then('the upstream {string} received a call of {string}', function (this: SwitchboardWorld, server: string, tool: string) {
  assert.deepEqual(this.mock(server).calls().map((c) => c.tool), [tool]);
});

/** What a refusal says, with the name it concerns taken out: two refusals compare equal when only the name differs. */
async function refusal(attempt: () => Promise<unknown>, name: string): Promise<string> {
  try {
    const result = await attempt();
    return `answered: ${JSON.stringify(result).replaceAll(name, '<name>')}`;
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: string };
    return `refused: ${String(code)} ${String(message).replaceAll(name, '<name>')}`;
  }
}

Then('calling {string} is refused exactly as calling {string} is', async function (this: SwitchboardWorld, hidden: string, unknown: string) {
  const client = this.client().client;
  const call = (name: string) => () => client.callTool({ name, arguments: {} });
  const [a, b] = [await refusal(call(hidden), hidden), await refusal(call(unknown), unknown)];
  assert.match(a, /^refused: /);
  assert.equal(a, b);
});

Then('reading {string} is refused exactly as reading {string} is', async function (this: SwitchboardWorld, hidden: string, unknown: string) {
  const client = this.client().client;
  const read = (uri: string) => () => client.readResource({ uri });
  const [a, b] = [await refusal(read(hidden), hidden), await refusal(read(unknown), unknown)];
  assert.match(a, /^refused: /);
  assert.equal(a, b);
});

Then('switchboard refuses to start, naming {string} and {string}', async function (this: SwitchboardWorld, key: string, word: string) {
  await assert.rejects(this.startSwitchboard(), (error: Error) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.ok(error.message.includes(key) && error.message.includes(word), error.message);
    return true;
  });
});
