import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Given, When, Then } from '@cucumber/cucumber';
import { Redis } from 'ioredis';
import { sessionPrincipal } from '../../src/principal/index.js';
import { auth } from '../support/auth.js';
import { echoOutcome, tokens } from '../support/tokens.js';
import { eventually } from '../support/wait.js';
import { freePort, type SwitchboardWorld } from '../support/world.js';

const META_KEY = 'switchboard/auth_required';

interface AuthRequiredEntry { server: string; issuer?: string; scope?: string; auth_tool: string }
interface StatusEntry { name: string; status: string; issuer?: string; scope?: string; auth_tool?: string; expiresAt?: string }

async function authStatus(world: SwitchboardWorld, client = 'default'): Promise<StatusEntry[]> {
  const read = await world.client(client).client.readResource({ uri: 'auth://status' });
  const first = read.contents[0];
  assert.ok(first && 'text' in first);
  return (JSON.parse(String(first.text)) as { servers: StatusEntry[] }).servers;
}

function scopesOf(scope: string | undefined | null): string[] {
  return (scope ?? '').split(' ').filter(Boolean);
}

function assertAnswered(world: SwitchboardWorld, client: string): void {
  const result = world.client(client).lastResult;
  assert.ok(result, `the call failed: ${world.client(client).lastError?.message}`);
  assert.notEqual(result.isError, true, `the call answered an error: ${world.client(client).resultText()}`);
}

/** The grant switchboard's store holds for a client's session at an issuer. */
async function storedSignIn(world: SwitchboardWorld, client: string, issuer: string) {
  const sessionId = world.client(client).openedSessionId;
  assert.ok(sessionId, `client ${client} has no session id`);
  return world.switchboard!.auth.store.getGrant(sessionPrincipal(sessionId), auth(world).authServer(issuer).issuer);
}

// --- authorization server behaviour ---

Given('{string} issues access tokens that last {int} seconds', function (this: SwitchboardWorld, issuer: string, seconds: number) {
  auth(this).authServer(issuer).setOptions({ accessTokenTtlSeconds: seconds });
});

Given('{string} is briefly unavailable for the next refresh', function (this: SwitchboardWorld, issuer: string) {
  auth(this).authServer(issuer).failNext('refresh', { status: 503, error: 'temporarily_unavailable', description: 'try again shortly' });
});

Given('{string} is briefly unavailable for the next {int} refreshes', function (this: SwitchboardWorld, issuer: string, times: number) {
  auth(this).authServer(issuer).failNext('refresh', { status: 503, error: 'temporarily_unavailable', description: 'try again shortly' }, { times });
});

When('{string} revokes every sign-in', function (this: SwitchboardWorld, issuer: string) {
  auth(this).authServer(issuer).revokeAll();
});

/** The authorization server's time moves past the lifetime of every token it issued; switchboard's own clock does not. */
When('the access tokens from {string} expire', function (this: SwitchboardWorld, issuer: string) {
  const server = auth(this).authServer(issuer);
  server.clock.advance(server.options().accessTokenTtlSeconds + 1);
});

Given('a protected server {string} behind {string} that needs the scope {string}, and the scope {string} for its tool {string}',
  async function (this: SwitchboardWorld, name: string, issuer: string, scope: string, toolScope: string, tool: string) {
    await auth(this).startProtected(name, issuer, { requiredScopes: [scope], toolScopes: { [tool]: [toolScope] } });
  });

/**
 * A pre-registered confidential client, used for every protected server of the scenario, so a client secret takes
 * part in the flows. Its redirect URI must be known before switchboard starts, so switchboard gets a fixed port.
 */
Given('switchboard is registered at {string} as a confidential client', async function (this: SwitchboardWorld, issuer: string) {
  const port = await freePort();
  this.config.http = { ...(this.config.http as object | undefined), port };
  const clientId = 'switchboard-confidential';
  const clientSecret = `secret-${randomUUID()}`;
  auth(this).authServer(issuer).registerClient({ clientId, clientSecret, redirectUris: [`http://127.0.0.1:${port}/oauth/callback`] });
  for (const name of auth(this).protectedServers.keys()) this.upstream(name).settings.auth = { clientId, clientSecret };
});

// --- signing in and out ---

Given('{client} has signed in to {string}', async function (this: SwitchboardWorld, client: string, server: string) {
  const session = this.client(client);
  await session.toolNames();
  await session.call(`authenticate_${server}`, {});
  const structured = session.lastResult?.structuredContent as { authorizationUrl?: string } | undefined;
  assert.ok(structured?.authorizationUrl, `no sign-in URL: ${JSON.stringify(session.lastResult ?? session.lastError?.message)}`);
  auth(this).signInUrls.set(server, structured.authorizationUrl);
  const outcome = await auth(this).approve(structured.authorizationUrl);
  assert.equal(outcome.status, 200, outcome.text);
  await eventually(async () => (await session.toolNames()).includes(`${server}_whoami`), `${server}_whoami to be listed`);
  tokens(this).noteCountsAtSignIn();
});

async function signOut(world: SwitchboardWorld, client: string, server: string, everywhere: boolean): Promise<void> {
  await world.client(client).call('switchboard_sign_out', { server, ...(everywhere ? { everywhere: true } : {}) });
  assertAnswered(world, client);
  world.client(client).forgetNotifications();
}

When('{client} signs out of {string}', async function (this: SwitchboardWorld, client: string, server: string) {
  await signOut(this, client, server, false);
});

When('{client} signs out of {string} everywhere', async function (this: SwitchboardWorld, client: string, server: string) {
  await signOut(this, client, server, true);
});

// --- calls ---

When('the client calls {string} {int} times', async function (this: SwitchboardWorld, tool: string, times: number) {
  const fixture = tokens(this);
  fixture.outcomes = [];
  for (let i = 0; i < times; i++) {
    await this.client().call(tool, {});
    const result = this.client().lastResult;
    fixture.outcomes.push(result && !result.isError ? 'ok' : this.client().lastError?.message ?? this.client().resultText());
  }
});

When('the client lists its tools again', async function (this: SwitchboardWorld) {
  await this.client().toolNames();
});

/** 'ok' when the tool echoed the text back, else what went wrong. */
When('the client calls {string} {int} times at once', async function (this: SwitchboardWorld, tool: string, times: number) {
  const client = this.client().client;
  tokens(this).outcomes = await Promise.all(Array.from({ length: times }, (_, i) => echoOutcome(client, tool, `call ${i}`)));
});

Then('{client} gets an answer', function (this: SwitchboardWorld, client: string) {
  assertAnswered(this, client);
});

Then('the call fails without asking for a sign-in', function (this: SwitchboardWorld) {
  const result = this.client().lastResult;
  assert.equal(result?.isError, true, `expected a failed call, got ${JSON.stringify(result ?? this.client().lastError?.message)}`);
  assert.ok(!this.client().resultText().includes('authenticate_'), `the failure asks for a sign-in: ${this.client().resultText()}`);
  assert.equal(result._meta?.[META_KEY], undefined, 'the result says a server needs a sign-in');
});

Then('every one of those calls got an answer', function (this: SwitchboardWorld) {
  const { outcomes } = tokens(this);
  assert.ok(outcomes.length > 0, 'no calls were made');
  assert.deepEqual(outcomes.filter((o) => o !== 'ok'), []);
});

Then('all {int} calls get their answer', function (this: SwitchboardWorld, count: number) {
  const { outcomes } = tokens(this);
  assert.equal(outcomes.length, count);
  assert.deepEqual(outcomes.filter((o) => o !== 'ok'), []);
});

// --- token lifetimes ---

/**
 * Waits, in real time, until the token switchboard holds for the server has entered the last quarter of its lifetime:
 * switchboard refreshes a short-lived token from then on, and the authorization server still accepts it.
 */
When('the access token for {string} is about to expire', async function (this: SwitchboardWorld, server: string) {
  const entry = (await authStatus(this)).find((s) => s.name === server);
  assert.ok(entry?.expiresAt, `switchboard shows no token expiry for ${server}: ${JSON.stringify(entry)}`);
  const authServer = [...auth(this).authServers.values()].find((s) => s.issuer === entry.issuer);
  assert.ok(authServer, `no authorization server ${entry.issuer} in this scenario`);
  const lifetimeMs = authServer.options().accessTokenTtlSeconds * 1000;
  const refreshFrom = Date.parse(entry.expiresAt) - lifetimeMs / 4;
  await sleep(Math.max(0, refreshFrom + 300 - Date.now()));
});

Then('{string} issued no token and started no sign-in since the sign-in', function (this: SwitchboardWorld, issuer: string) {
  const since = tokens(this).countsSinceSignIn(issuer);
  assert.deepEqual(since, { authorizationRequests: 0, tokenRequests: 0, refreshGrants: 0 });
});

Then('{string} refreshed the sign-in exactly once since the sign-in', function (this: SwitchboardWorld, issuer: string) {
  assert.equal(tokens(this).countsSinceSignIn(issuer).refreshGrants, 1);
});

Then('{string} refreshed the sign-in at least once since the sign-in', function (this: SwitchboardWorld, issuer: string) {
  assert.ok(tokens(this).countsSinceSignIn(issuer).refreshGrants >= 1);
});

Then('{string} never refused a token', function (this: SwitchboardWorld, server: string) {
  const refused = auth(this).protectedServer(server).inspect().filter((r) => r.tokenPresented && (r.status === 401 || r.status === 403));
  assert.deepEqual(refused.map((r) => `${r.rpcMethod ?? r.httpMethod}: ${r.status} ${r.rejection}`), []);
});

Then('the auth status soon shows {string} as {string} at {string}', async function (this: SwitchboardWorld, server: string, expected: string, issuer: string) {
  const entry = await eventually(async () => (await authStatus(this)).find((s) => s.name === server && s.status === expected), `${server} to be ${expected}`);
  assert.equal(entry.issuer, auth(this).authServer(issuer).issuer);
});

// --- scopes ---

Then('the call result says that {string} needs a sign-in at {string} for the scope {string}', function (this: SwitchboardWorld, server: string, issuer: string, scope: string) {
  const result = this.client().lastResult;
  const entries = (result?._meta?.[META_KEY] as AuthRequiredEntry[] | undefined) ?? [];
  const entry = entries.find((e) => e.server === server);
  assert.ok(entry, `the result names no sign-in for ${server}: ${JSON.stringify(result?._meta)}`);
  assert.equal(entry.issuer, auth(this).authServer(issuer).issuer);
  assert.equal(entry.auth_tool, `authenticate_${server}`);
  assert.ok(scopesOf(entry.scope).includes(scope), `scope "${entry.scope}" lacks ${scope}`);
});

Then('the auth status shows {string} as {string} at {string} for the scope {string}', async function (this: SwitchboardWorld, server: string, expected: string, issuer: string, scope: string) {
  const entry = (await authStatus(this)).find((s) => s.name === server);
  assert.equal(entry?.status, expected, JSON.stringify(entry));
  assert.equal(entry.issuer, auth(this).authServer(issuer).issuer);
  assert.ok(scopesOf(entry.scope).includes(scope), `scope "${entry.scope}" lacks ${scope}`);
});

Then('the sign-in URL asks for the scopes {string}', function (this: SwitchboardWorld, scopes: string) {
  const [url] = [...auth(this).signInUrls.values()].slice(-1);
  assert.ok(url, 'no sign-in URL was handed out');
  const asked = scopesOf(new URL(url).searchParams.get('scope'));
  for (const scope of scopesOf(scopes)) assert.ok(asked.includes(scope), `the sign-in URL asks for "${asked.join(' ')}", not ${scope}`);
});

// --- the token store ---

Then('switchboard holds no sign-in at {string} for {client}', async function (this: SwitchboardWorld, issuer: string, client: string) {
  assert.equal(await storedSignIn(this, client, issuer), undefined);
});

Then('switchboard soon holds no sign-in at {string} for {client}', async function (this: SwitchboardWorld, issuer: string, client: string) {
  await eventually(async () => (await storedSignIn(this, client, issuer)) === undefined, `the sign-in of ${client} to be deleted`);
});

Then('switchboard holds a sign-in at {string} for {client}', async function (this: SwitchboardWorld, issuer: string, client: string) {
  const grant = await storedSignIn(this, client, issuer);
  assert.ok(grant?.refreshToken, `no sign-in of ${client} at ${issuer} is stored`);
});

// --- logs ---

Then('switchboard\'s log holds none of the tokens, codes, verifiers and secrets exchanged with {string}', function (this: SwitchboardWorld, issuer: string) {
  const secrets = auth(this).secretsSeenBy(issuer);
  assert.ok([...secrets.values()].some((what) => what.startsWith('refresh token')), 'the flow issued no refresh token');
  assert.ok([...secrets.values()].some((what) => what.startsWith('client secret')), 'the flow used no client secret');
  assert.ok(this.logLines.length > 0, 'switchboard logged nothing');
  const leaks = [...secrets].filter(([value]) => this.logLines.some((line) => line.includes(value))).map(([, what]) => what);
  assert.deepEqual(leaks, []);
});

// --- Redis ---

Given('switchboard keeps its tokens in a private Redis', async function (this: SwitchboardWorld) {
  await tokens(this).startRedis();
});

Given('switchboard always listens on the same port', async function (this: SwitchboardWorld) {
  this.config.http = { ...(this.config.http as object | undefined), port: await freePort() };
});

When('switchboard is restarted', async function (this: SwitchboardWorld) {
  await this.restartSwitchboard();
});

Then('{string} registered switchboard once', function (this: SwitchboardWorld, issuer: string) {
  assert.equal(auth(this).authServer(issuer).inspect().counts.registrations, 1);
});

Then('Redis holds the client\'s sign-in at {string}, but none of its tokens in readable form', async function (this: SwitchboardWorld, issuer: string) {
  const redis = new Redis(tokens(this).redis!.url);
  try {
    // Found by what it holds, not by switchboard's key layout: the record of the sign-in at this issuer.
    const issuerId = auth(this).authServer(issuer).issuer;
    const hashes = await Promise.all((await redis.keys('*')).map(async (key) => ((await redis.type(key)) === 'hash' ? redis.hgetall(key) : ({} as Record<string, string>))));
    const record = hashes.map((fields) => fields[issuerId]).find((value) => value !== undefined);
    assert.ok(record, `Redis holds no sign-in at ${issuer}`);
    const seen = auth(this).authServer(issuer).inspect();
    const values = [...seen.tokens.map((t) => t.token), ...seen.refreshTokens.map((t) => t.token)];
    assert.ok(values.length >= 3, 'the sign-in issued two access tokens and a refresh token');
    const dump = JSON.stringify(await Promise.all((await redis.keys('*')).map(async (key) => [key, await redis.dump(key)])));
    assert.deepEqual(values.filter((value) => record.includes(value) || dump.includes(value)), []);
  } finally {
    redis.disconnect();
  }
});

/** The Redis key of the hash that holds a sign-in at the issuer, found by what it holds, not by switchboard's key layout. */
async function signInKeysAt(world: SwitchboardWorld, redis: Redis, issuer: string): Promise<string[]> {
  const issuerId = auth(world).authServer(issuer).issuer;
  const keys = await redis.keys('*');
  const holding = await Promise.all(keys.map(async (key) => (await redis.type(key)) === 'hash' && (await redis.hexists(key, issuerId)) === 1));
  return keys.filter((_, i) => holding[i]);
}

When('switchboard stops while the client\'s session is still open', async function (this: SwitchboardWorld) {
  // Stopping ends no session for good: its client could not tell it apart from a crash, and the grants stay behind.
  await this.switchboard!.close();
  this.switchboard = undefined;
});

Then('Redis still holds the client\'s sign-in at {string}, set to expire within {int} seconds', async function (this: SwitchboardWorld, issuer: string, seconds: number) {
  const redis = new Redis(tokens(this).redis!.url);
  try {
    const keys = await signInKeysAt(this, redis, issuer);
    assert.equal(keys.length, 1, `Redis holds ${keys.length} sign-ins at ${issuer}`);
    const ttl = await redis.pttl(keys[0]!);
    assert.ok(ttl > 0 && ttl <= seconds * 1000, `the sign-in expires in ${ttl} ms`);
  } finally {
    redis.disconnect();
  }
});

Then('Redis soon holds no sign-in at {string}', async function (this: SwitchboardWorld, issuer: string) {
  const redis = new Redis(tokens(this).redis!.url);
  try {
    await eventually(async () => (await signInKeysAt(this, redis, issuer)).length === 0, `the sign-in at ${issuer} to expire`);
  } finally {
    redis.disconnect();
  }
});

Given('a second switchboard shares its Redis', async function (this: SwitchboardWorld) {
  // Replicas sit behind one public address, so they share the redirect URI and with it the client registration.
  await tokens(this).startAnother({ publicUrl: new URL(this.url).origin });
});

When('another switchboard starts on the same Redis', async function (this: SwitchboardWorld) {
  await tokens(this).startAnother({ publicUrl: new URL(this.url).origin });
});

When('another switchboard starts on the same Redis with another secret', async function (this: SwitchboardWorld) {
  await tokens(this).startAnother({ publicUrl: new URL(this.url).origin, secret: `another-secret-${randomUUID()}` });
});

/** A token switchboard got is one the authorization server issued for the server's resource and still holds active. */
function assertWorkingToken(world: SwitchboardWorld, server: string, value: string | undefined): void {
  assert.ok(value, 'no token');
  const issued = [...auth(world).authServers.values()].flatMap((s) => s.inspect().tokens).find((t) => t.token === value);
  assert.ok(issued, 'the token was not issued by an authorization server of this scenario');
  assert.equal(issued.status, 'active');
  assert.equal(issued.aud, auth(world).protectedServer(server).url);
}

When('the client calls {string} {int} times at once while the second switchboard needs the client\'s token for {string} {int} times',
  async function (this: SwitchboardWorld, tool: string, calls: number, server: string, uses: number) {
    const [other] = tokens(this).others;
    assert.ok(other, 'no second switchboard');
    const principal = sessionPrincipal(this.client().openedSessionId!);
    const info = await other.auth.resolve(server);
    const stale = (await other.auth.store.getGrant(principal, info.issuer))?.tokens[info.resource]?.value;
    assert.ok(stale, 'the second switchboard does not see the sign-in');
    const client = this.client().client;
    const viaClient = Array.from({ length: calls }, (_, i) => echoOutcome(client, tool, `call ${i}`));
    // The second switchboard was told the token it holds was refused, as its own upstream connection would be.
    const viaOther = Array.from({ length: uses }, async (_, i) => {
      try {
        assertWorkingToken(this, server, (await other.auth.tokenFor(principal, info, stale))?.value);
        return 'ok';
      } catch (error) {
        return `use ${i} by the second switchboard: ${(error as Error).message}`;
      }
    });
    tokens(this).outcomes = await Promise.all([...viaClient, ...viaOther]);
  });

Then('every one of those uses got a working token', function (this: SwitchboardWorld) {
  const { outcomes } = tokens(this);
  assert.ok(outcomes.length > 0, 'nothing was used');
  assert.deepEqual(outcomes.filter((o) => o !== 'ok'), []);
});

Then('it finds the client\'s sign-in at {string} and a token {string} accepts', async function (this: SwitchboardWorld, issuer: string, server: string) {
  const other = tokens(this).others.at(-1)!;
  const principal = sessionPrincipal(this.client().openedSessionId!);
  const grant = await other.auth.store.getGrant(principal, auth(this).authServer(issuer).issuer);
  assert.ok(grant?.refreshToken, 'the other switchboard finds no sign-in');
  const token = await other.auth.tokenFor(principal, await other.auth.resolve(server));
  assertWorkingToken(this, server, token?.value);
});

Then('it finds no sign-in of the client at {string}', async function (this: SwitchboardWorld, issuer: string) {
  const other = tokens(this).others.at(-1)!;
  const principal = sessionPrincipal(this.client().openedSessionId!);
  assert.equal(await other.auth.store.getGrant(principal, auth(this).authServer(issuer).issuer), undefined);
  // The sign-in is still there for the switchboard that holds the secret.
  assert.ok(await this.switchboard!.auth.store.getGrant(principal, auth(this).authServer(issuer).issuer));
});

Given('Redis is down', async function (this: SwitchboardWorld) {
  await tokens(this).redis!.stop();
});

When('Redis stops, saving its data', async function (this: SwitchboardWorld) {
  await tokens(this).redis!.halt({ keepData: true });
});

When('Redis comes back with its data', async function (this: SwitchboardWorld) {
  await tokens(this).redis!.restart({ keepData: true });
});

Then('the browser is asked to try again in a moment, and nothing was lost', function (this: SwitchboardWorld) {
  const outcome = auth(this).lastSignIn;
  assert.equal(outcome?.status, 503, outcome?.text);
  assert.match(outcome!.text, /try again in a moment/i);
  assert.match(outcome!.text, /nothing was lost/i);
});

When('the browser opens the same callback link again', async function (this: SwitchboardWorld) {
  const url = auth(this).lastSignIn?.callbackUrl;
  assert.ok(url, 'no callback was opened before');
  const answer = await fetch(url);
  const text = (await answer.text()).replace(/<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  auth(this).lastSignIn = { status: answer.status, text, callbackUrl: url };
});

When('Redis comes back', async function (this: SwitchboardWorld) {
  await tokens(this).redis!.restart();
});

interface StoreReadiness { ready: boolean; store?: { kind: string; ok: boolean; error?: string } }

Then('switchboard is not ready, because its token store cannot reach Redis', async function (this: SwitchboardWorld) {
  const readiness = (await this.readiness()) as StoreReadiness;
  assert.equal(readiness.ready, false);
  assert.equal(readiness.store?.kind, 'redis', 'the store must stay Redis, never fall back to memory');
  assert.equal(readiness.store.ok, false);
  assert.match(readiness.store.error ?? '', /Redis is not reachable/);
  assert.ok(this.logLines.some((line) => line.includes('token store unreachable')), 'switchboard did not log that the store is unreachable');
});

Then('switchboard soon is ready', async function (this: SwitchboardWorld) {
  await eventually(async () => ((await this.readiness()) as StoreReadiness).ready, 'switchboard to be ready');
});

When('the user approves the sign-in, and the browser\'s callback reaches the second switchboard', async function (this: SwitchboardWorld) {
  const other = tokens(this).others[0];
  assert.ok(other, 'no second switchboard');
  const [url] = [...auth(this).signInUrls.values()].slice(-1);
  assert.ok(url, 'no sign-in URL was handed out');
  // Both replicas sit behind one public address; the load balancer sent this request to the other one.
  await auth(this).approve(url, (callback) => new URL(`${callback.pathname}${callback.search}`, new URL(other.url).origin));
});
