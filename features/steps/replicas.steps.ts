import assert from 'node:assert/strict';
import { Given, When, Then } from '@cucumber/cucumber';
import { auth } from '../support/auth.js';
import { TestClient } from '../support/client.js';
import { echoOutcome, tokens } from '../support/tokens.js';
import { eventually } from '../support/wait.js';
import type { SwitchboardWorld } from '../support/world.js';

function secondSwitchboard(world: SwitchboardWorld) {
  const [other] = tokens(world).others;
  assert.ok(other, 'no second switchboard');
  return other;
}

Given('client {string} is connected to the second switchboard', async function (this: SwitchboardWorld, name: string) {
  this.clients.set(name, await TestClient.connect(secondSwitchboard(this).url, {}, {}, this.clientEra));
});

When('clients {string} and {string} call {string} {int} times each, all at once',
  async function (this: SwitchboardWorld, first: string, second: string, tool: string, times: number) {
    const calls = [first, second].flatMap((name) => Array.from({ length: times }, (_, i) => echoOutcome(this.client(name).client, tool, `${name} ${i}`)));
    tokens(this).outcomes = await Promise.all(calls);
  });

Then('{string} saw no refresh token used twice', function (this: SwitchboardWorld, issuer: string) {
  const seen = auth(this).authServer(issuer).inspect();
  const presented = seen.tokenRequests.filter((r) => r.grantType === 'refresh_token').map((r) => r.params.refresh_token);
  assert.equal(new Set(presented).size, presented.length, 'a refresh token was presented twice');
  // A replayed rotated token revokes the whole grant at this server (OAuth 2.1 §4.3.1).
  assert.deepEqual(seen.refreshTokens.filter((t) => t.status === 'revoked').map((t) => t.grantId), []);
});

Then('{client} is told its tools changed within {int} ms of the callback', async function (this: SwitchboardWorld, client: string, limitMs: number) {
  const signIn = auth(this).lastSignIn;
  assert.ok(signIn?.callbackSentAt !== undefined && signIn.callbackAnsweredAt !== undefined, 'no callback was timed');
  const heard = await eventually(
    () => this.client(client).notifications.find((n) => n.method === 'notifications/tools/list_changed' && n.at >= signIn.callbackSentAt!),
    'notifications/tools/list_changed after the callback',
    5_000,
  );
  const sinceAnswer = heard.at - signIn.callbackAnsweredAt;
  const sinceSent = heard.at - signIn.callbackSentAt;
  this.log(`callback -> list_changed: ${sinceAnswer.toFixed(1)} ms after the callback's answer, ${sinceSent.toFixed(1)} ms after it was sent`);
  assert.ok(sinceAnswer <= limitMs, `list_changed came ${sinceAnswer.toFixed(1)} ms after the callback`);
});
