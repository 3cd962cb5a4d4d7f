import assert from 'node:assert/strict';
import { Given, Then, When } from '@cucumber/cucumber';
import type { SwitchboardWorld } from '../support/world.js';
import { eventually } from '../support/wait.js';

Given('a client that can sample, answering {string}, is connected', async function (this: SwitchboardWorld, answer: string) {
  await this.connect('default', { capabilities: { sampling: {} }, samplingAnswer: answer });
});

Given('a client that can ask its user questions is connected', async function (this: SwitchboardWorld) {
  await this.connect('default', { capabilities: { elicitation: {} } });
});

Given('a client with the root {string} is connected', async function (this: SwitchboardWorld, uri: string) {
  await this.connect('default', { capabilities: { roots: { listChanged: true } }, roots: [{ uri, name: 'project' }] });
});

When('the client calls {string} for {int} steps, following its progress', async function (this: SwitchboardWorld, tool: string, steps: number) {
  await this.client().callFollowingProgress(tool, { steps });
});

Then('the client was told of progress {int}, {int} and {int} out of {int}', function (this: SwitchboardWorld, a: number, b: number, c: number, total: number) {
  assert.deepEqual(this.client().progress.map((p) => [p.progress, p.total]), [[a, total], [b, total], [c, total]]);
});

Then('{client} receives the log message {string} from {string}', async function (this: SwitchboardWorld, client: string, message: string, server: string) {
  const log = await eventually(
    () => this.client(client).notifications.find((n) => n.method === 'notifications/message' && n.params?.data === message),
    `the log message "${message}" to reach ${client}`,
  );
  // The logger names the server first, so a client can tell whose log it is.
  assert.match(String(log.params?.logger), new RegExp(`^${server}(/|$)`));
});

Then('{client} received no log messages', function (this: SwitchboardWorld, client: string) {
  assert.deepEqual(this.client(client).notifications.filter((n) => n.method === 'notifications/message'), []);
});

Then('the client was asked to sample {string}', function (this: SwitchboardWorld, prompt: string) {
  const asked = this.client().samplingRequests.flatMap((request) => request.messages.flatMap((m) => [m.content].flat()))
    .map((content) => (content.type === 'text' ? content.text : `[${content.type}]`));
  assert.deepEqual(asked, [prompt]);
});

Then('the client was asked {string}', function (this: SwitchboardWorld, question: string) {
  assert.deepEqual(this.client().elicitationRequests.map((request) => request.message), [question]);
});

Given('{client} names no log level on its requests', function (this: SwitchboardWorld, client: string) {
  this.client(client).logLevel = undefined;
});

Then('the call succeeds', function (this: SwitchboardWorld) {
  const client = this.client();
  assert.ok(client.lastResult && client.lastResult.isError !== true, `the call failed: ${client.lastError?.message ?? client.resultText()}`);
});
