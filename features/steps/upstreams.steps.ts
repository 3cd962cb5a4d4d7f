import assert from 'node:assert/strict';
import { defineParameterType, Given, When, Then } from '@cucumber/cucumber';
import type { SwitchboardWorld, UpstreamKind } from '../support/world.js';
import { names } from '../support/lists.js';
import { eventually } from '../support/wait.js';

defineParameterType({
  name: 'transport',
  regexp: /Streamable HTTP|SSE|stdio/,
  transformer: (text: string): UpstreamKind => (text === 'Streamable HTTP' ? 'streamable-http' : text === 'SSE' ? 'sse' : 'stdio'),
});

Given('an upstream {string} over {transport} with tools {string}', async function (this: SwitchboardWorld, name: string, kind: UpstreamKind, tools: string) {
  await this.startUpstream(name, kind, { tools: names(tools).map((tool) => ({ name: tool })) });
});

Given('an upstream {string} with a tool named {string}', async function (this: SwitchboardWorld, name: string, tool: string) {
  await this.startUpstream(name, 'streamable-http', { tools: [{ name: tool }] });
});

Given('an upstream {string} that is not running yet, with tools {string}', async function (this: SwitchboardWorld, name: string, tools: string) {
  await this.declareDownUpstream(name, { tools: names(tools).map((tool) => ({ name: tool })) });
});

Given('an upstream {string} over stdio with tools {string}, with a process of its own for each session', async function (this: SwitchboardWorld, name: string, tools: string) {
  await this.startUpstream(name, 'stdio', { tools: names(tools).map((tool) => ({ name: tool })) });
  this.upstream(name).settings.isolation = 'session';
});

Given('the upstream {string} is exposed without a prefix', function (this: SwitchboardWorld, name: string) {
  this.upstream(name).settings.prefix = false;
});

Given('the upstream {string} has a timeout of {int} ms', function (this: SwitchboardWorld, name: string, ms: number) {
  this.upstream(name).settings.timeoutMs = ms;
});

Given('the upstream {string} has a prompt {string}', function (this: SwitchboardWorld, name: string, prompt: string) {
  const upstream = this.upstream(name);
  if (upstream.mock) upstream.mock.addPrompt({ name: prompt });
  else (upstream.spec.prompts ??= []).push({ name: prompt });
});

Given('the upstream {string} has a resource {string} with text {string}', function (this: SwitchboardWorld, name: string, uri: string, text: string) {
  const upstream = this.upstream(name);
  const resource = { uri, name: uri.split('/').pop() ?? uri, mimeType: 'text/plain', text };
  if (upstream.mock) upstream.mock.addResource(resource);
  else (upstream.spec.resources ??= []).push(resource);
});

// A change to an upstream starts a new chapter: what clients were told before it no longer counts.

When('the upstream {string} adds a tool {string}', function (this: SwitchboardWorld, name: string, tool: string) {
  this.forgetNotifications();
  this.mock(name).addTool({ name: tool });
});

When('the upstream {string} removes the tool {string}', function (this: SwitchboardWorld, name: string, tool: string) {
  this.forgetNotifications();
  this.mock(name).removeTool(tool);
});

When('the upstream {string} adds a prompt {string}', function (this: SwitchboardWorld, name: string, prompt: string) {
  this.forgetNotifications();
  this.mock(name).addPrompt({ name: prompt });
});

When('the upstream {string} stops', async function (this: SwitchboardWorld, name: string) {
  this.forgetNotifications();
  await this.mock(name).stop();
});

When('the upstream {string} comes back', async function (this: SwitchboardWorld, name: string) {
  this.forgetNotifications();
  await this.bringUpUpstream(name);
});

When('the upstream {string} starts', async function (this: SwitchboardWorld, name: string) {
  this.forgetNotifications();
  await this.bringUpUpstream(name);
});

Then('the upstream {string} received {int} call(s) to {string}', async function (this: SwitchboardWorld, name: string, count: number, tool: string) {
  assert.equal(this.mock(name).calls().filter((c) => c.tool === tool).length, count);
});

Then('the upstream {string} saw the call to {string} cancelled', async function (this: SwitchboardWorld, name: string, tool: string) {
  await eventually(() => this.mock(name).cancelled().includes(tool), `the upstream to record the cancellation of ${tool}`);
});

Given('an upstream {string} that speaks only the 2026-07-28 protocol, with tools {string}', async function (this: SwitchboardWorld, name: string, tools: string) {
  await this.startUpstream(name, 'streamable-http', { tools: names(tools).map((tool) => ({ name: tool })) }, {}, 'modern');
});

Then('the upstream {string} was asked for its protocol era {int} time(s)', function (this: SwitchboardWorld, name: string, times: number) {
  assert.equal(this.mock(name).discoverProbes(), times);
});
