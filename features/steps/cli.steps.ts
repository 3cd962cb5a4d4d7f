import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Given, Then, When } from '@cucumber/cucumber';
import { parseDocument } from 'yaml';
import { REPO_ROOT, runSwitchboardProcess } from '../support/cli.js';
import type { SwitchboardWorld } from '../support/world.js';

Given('the configuration file {string}:', async function (this: SwitchboardWorld, name: string, text: string) {
  await (await this.files()).write(name, text);
});

/** `value` is a YAML scalar: `"eighty"` is a string, `5000` a number. */
Given('the configuration file {string} sets {word} to {}', async function (this: SwitchboardWorld, name: string, key: string, value: string) {
  const files = await this.files();
  const document = parseDocument(await readFile(files.path(name), 'utf8'));
  document.setIn(key.split('.'), parseDocument(value).toJS());
  await files.write(name, document.toString());
});

Given('the environment variable {string} holds the address of {string}', function (this: SwitchboardWorld, variable: string, upstream: string) {
  this.childEnv[variable] = this.mock(upstream).url;
});

When('switchboard is started with {string}', async function (this: SwitchboardWorld, name: string) {
  const files = await this.files();
  // The variable the configuration refers to is set, so only the problem under test can stop start-up.
  const env = { WEATHER_URL: 'http://127.0.0.1:1/mcp', ...this.childEnv };
  this.lastProcess = await runSwitchboardProcess(['serve', '--config', files.path(name)], { cwd: REPO_ROOT, env, timeoutMs: 30_000 });
});

Then('start-up fails with an error naming {string}, {string} and {string}', function (this: SwitchboardWorld, file: string, key: string, expected: string) {
  const outcome = this.lastProcess;
  assert.ok(outcome, 'switchboard was not started');
  assert.notEqual(outcome.code, null, 'switchboard did not stop; it was killed after the time limit');
  assert.notEqual(outcome.code, 0, 'switchboard exited with 0');
  for (const part of [file, key, expected]) assert.ok(outcome.stderr.includes(part), `the error does not mention ${part}:\n${outcome.stderr}`);
  // One line names the key and what was expected, so a person finds both together.
  assert.ok(outcome.stderr.split('\n').some((line) => line.includes(key) && line.includes(expected)), `no line names both ${key} and ${expected}:\n${outcome.stderr}`);
});

When('an MCP client launches switchboard over stdio with {string}', async function (this: SwitchboardWorld, name: string) {
  await this.launchOverStdio(name);
});

Then('switchboard wrote its logs to stderr and nothing but the protocol to stdout', async function (this: SwitchboardWorld) {
  const client = this.client();
  // A line on stdout that is not JSON-RPC makes the client's transport report an error.
  assert.deepEqual(client.transportErrors.map((e) => e.message), []);
  const logs = client.serverStderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg?: string });
  assert.ok(logs.some((entry) => entry.msg === 'switchboard serving on stdio'), `no start-up log on stderr:\n${client.serverStderr}`);
});
