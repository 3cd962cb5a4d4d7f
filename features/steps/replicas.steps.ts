import assert from 'node:assert/strict';
import { Given, When, Then } from '@cucumber/cucumber';
import { Redis } from 'ioredis';
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
  this.log(`callback -> list_changed: ${sinceAnswer.toFixed(1)} ms after the callback's answer, ${sinceSent.toFixed(1)} ms after it was sent; `
    + `the replica started connecting ${hearingDelayMs(this).toFixed(0)} ms after the sign-in completed`);
  assert.ok(sinceAnswer <= limitMs, `list_changed came ${sinceAnswer.toFixed(1)} ms after the callback`);
});

/** From switchboard's log: the completed sign-in, to the replica of the client starting to connect its servers. */
function hearingDelayMs(world: SwitchboardWorld): number {
  const entries = world.logLines.map((line) => JSON.parse(line) as { msg?: string; time: number });
  const completed = [...entries].reverse().find((e) => e.msg === 'sign-in completed');
  const connecting = [...entries].reverse().find((e) => e.msg === 'signed in; connecting the servers behind this issuer');
  return completed && connecting ? connecting.time - completed.time : Number.NaN;
}

interface ConnectedLine { msg?: string; server?: string; verdict?: string }

Given('switchboard soon is connected to {string}', async function (this: SwitchboardWorld, server: string) {
  await eventually(async () => (await this.readiness()).servers[server]?.state === 'connected', `switchboard to connect to ${server}`);
});

Then('Redis holds the protocol era of {string}', async function (this: SwitchboardWorld, server: string) {
  const redis = new Redis(tokens(this).redis!.url);
  try {
    // Found by what it holds: a record naming the server's URL whose value is an era verdict.
    const url = this.upstream(server).url!;
    const keys = (await redis.keys('*')).filter((key) => decodeURIComponent(key).includes(url));
    const values = await Promise.all(keys.map((key) => redis.get(key).catch(() => null)));
    const verdicts = values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as { kind?: string });
    const expected = this.eraOf(this.upstream(server).kind);
    assert.ok(verdicts.some((v) => v.kind === expected), `Redis holds no ${expected} era verdict of ${server}: ${JSON.stringify(verdicts)}`);
  } finally {
    redis.disconnect();
  }
});

/** Where the World's log stood when the other replica started: what follows is (also) its log. */
const otherStartedAt = new WeakMap<SwitchboardWorld, number>();

When('another replica starts on the same Redis', async function (this: SwitchboardWorld) {
  otherStartedAt.set(this, this.logLines.length);
  await tokens(this).startAnother({ publicUrl: new URL(this.url).origin });
});

Then('the other replica connects to {string} with the era from Redis, without probing it', async function (this: SwitchboardWorld, server: string) {
  const other = tokens(this).others.at(-1)!;
  await eventually(async () => {
    const answer = await fetch(new URL('/readyz', other.url));
    return ((await answer.json()) as { servers: Record<string, { state: string }> }).servers[server]?.state === 'connected';
  }, `the other replica to connect to ${server}`);
  const connected = (lines: string[]) => lines.map((line) => JSON.parse(line) as ConnectedLine).filter((e) => e.msg === 'upstream connected' && e.server === server);
  const start = otherStartedAt.get(this)!;
  const before = connected(this.logLines.slice(0, start));
  const after = connected(this.logLines.slice(start));
  assert.deepEqual(before.map((e) => e.verdict), ['probed'], 'the first replica probed the server');
  assert.deepEqual(after.map((e) => e.verdict), ['cached'], 'the other replica probed the server again');
});
