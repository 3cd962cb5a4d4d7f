import assert from 'node:assert/strict';
import { Given, Then, When } from '@cucumber/cucumber';
import type { SwitchboardWorld } from '../support/world.js';
import { eventually } from '../support/wait.js';

Given('the upstream {string} answers every request with a server error', function (this: SwitchboardWorld, name: string) {
  this.mock(name).setFailing('http500');
});

Then('switchboard reports the server {string} as {word}', async function (this: SwitchboardWorld, server: string, state: string) {
  let seen: string | undefined;
  try {
    await eventually(async () => (seen = (await this.readiness()).servers[server]?.state) === state, `server "${server}" to be ${state}`);
  } catch {
    assert.fail(`switchboard reports "${server}" as ${seen}, not ${state}`);
  }
});

/** Counted in switchboard's own log: each failed attempt of a connection is one line. */
When('switchboard has tried to reach {string} {int} more times', async function (this: SwitchboardWorld, server: string, attempts: number) {
  this.forgetNotifications();
  const target = this.connectAttempts(server) + attempts;
  await eventually(() => this.connectAttempts(server) >= target, `${attempts} more attempts to reach "${server}"`);
});

When('the client calls {string} and gives up once the server is working on it', async function (this: SwitchboardWorld, tool: string) {
  const client = this.client();
  const before = this.upstreamCallCounts();
  const giveUp = new AbortController();
  const call = client.call(tool, {}, { signal: giveUp.signal });
  await eventually(() => this.upstreamCallsSince(before).length > 0, `the call to ${tool} to reach its server`);
  giveUp.abort('the user pressed stop');
  await call;
  assert.ok(client.lastError, `the call was not given up: ${JSON.stringify(client.lastResult)}`);
});
