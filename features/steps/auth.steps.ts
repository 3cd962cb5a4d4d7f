import assert from 'node:assert/strict';
import { Given, When, Then } from '@cucumber/cucumber';
import { ElicitationCompleteNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { auth } from '../support/auth.js';
import { names } from '../support/lists.js';
import { eventually } from '../support/wait.js';
import type { SwitchboardWorld } from '../support/world.js';

const META_KEY = 'switchboard/auth_required';

interface AuthRequiredEntry { server: string; issuer?: string; scope?: string; auth_tool: string }
interface StatusEntry { name: string; status: string; issuer?: string; scope?: string; auth_tool?: string; expiresAt?: string }

Given('an authorization server {string}', async function (this: SwitchboardWorld, name: string) {
  await auth(this).startAuthServer(name);
});

Given('a protected server {string} behind {string}', async function (this: SwitchboardWorld, name: string, issuer: string) {
  await auth(this).startProtected(name, issuer);
});

Given('a client that supports URL elicitation is connected', async function (this: SwitchboardWorld) {
  const client = await this.connect('default', { capabilities: { elicitation: { url: {} } } });
  const completed: string[] = [];
  // notifications/elicitation/complete exists only for 2025-11-25 sessions; a modern client's retry is the completion.
  if (client.era === 'legacy') client.legacyClient.setNotificationHandler(ElicitationCompleteNotificationSchema, (n) => void completed.push(n.params.elicitationId));
  auth(this).elicitationsCompleted = completed;
});

/** An agent finds the authenticate tool in its tool list first; what it hears after that is about the sign-in. */
async function startSignInLikeAnAgent(world: SwitchboardWorld, client: string): Promise<void> {
  await world.client(client).toolNames();
  world.client(client).notifications.length = 0;
}

When('{client} asks to sign in to {string}', async function (this: SwitchboardWorld, client: string, server: string) {
  await startSignInLikeAnAgent(this, client);
  await this.client(client).call(`authenticate_${server}`, {});
  const structured = this.client(client).lastResult?.structuredContent as { authorizationUrl?: string } | undefined;
  if (structured?.authorizationUrl) auth(this).signInUrls.set(server, structured.authorizationUrl);
});

Then('the client gets a sign-in URL at {string}', function (this: SwitchboardWorld, issuer: string) {
  const result = this.client().lastResult;
  assert.ok(result && !result.isError, `the authenticate tool failed: ${JSON.stringify(result ?? this.client().lastError?.message)}`);
  const structured = result.structuredContent as { status: string; authorizationUrl: string; issuer: string };
  assert.equal(structured.status, 'auth_required');
  assert.equal(structured.issuer, auth(this).authServer(issuer).issuer);
  assert.ok(structured.authorizationUrl.startsWith(auth(this).authServer(issuer).endpoints.authorization), structured.authorizationUrl);
  assert.ok(this.client().resultText().includes(structured.authorizationUrl), 'the text block carries the URL too');
});

When('the user approves the sign-in in the browser', async function (this: SwitchboardWorld) {
  const [url] = [...auth(this).signInUrls.values()].slice(-1);
  assert.ok(url, 'no sign-in URL was handed out');
  await auth(this).approve(url);
});

When('{client} signs in to {string}', async function (this: SwitchboardWorld, client: string, server: string) {
  await startSignInLikeAnAgent(this, client);
  await this.client(client).call(`authenticate_${server}`, {});
  const structured = this.client(client).lastResult?.structuredContent as { authorizationUrl?: string } | undefined;
  assert.ok(structured?.authorizationUrl, `no sign-in URL: ${JSON.stringify(this.client(client).lastResult)}`);
  const outcome = await auth(this).approve(structured.authorizationUrl);
  assert.equal(outcome.status, 200, outcome.text);
});

Then('the browser says the sign-in worked', function (this: SwitchboardWorld) {
  const outcome = auth(this).lastSignIn;
  assert.equal(outcome?.status, 200, outcome?.text);
  assert.match(outcome!.text, /signed in/i);
  assert.match(outcome!.text, /close this window/i);
});

Then('the browser says the sign-in failed because {string}', function (this: SwitchboardWorld, reason: string) {
  const outcome = auth(this).lastSignIn;
  assert.equal(outcome?.status, 400, outcome?.text);
  assert.ok(outcome!.text.toLowerCase().includes(reason.toLowerCase()), `"${outcome!.text}" does not say "${reason}"`);
});

Then('{client} still sees the tool {string}', async function (this: SwitchboardWorld, client: string, tool: string) {
  assert.ok((await this.client(client).toolNames()).includes(tool), `${tool} is not listed`);
});

Then('{client} gets a tool error mentioning {string}', function (this: SwitchboardWorld, client: string, words: string) {
  const result = this.client(client).lastResult;
  assert.equal(result?.isError, true, `expected a tool error, got ${JSON.stringify(result ?? this.client(client).lastError?.message)}`);
  assert.ok(this.client(client).resultText().includes(words), `"${this.client(client).resultText()}" does not mention "${words}"`);
});

function authRequired(world: SwitchboardWorld, meta: Record<string, unknown> | undefined): AuthRequiredEntry[] {
  return (meta?.[META_KEY] as AuthRequiredEntry[] | undefined) ?? [];
}

function assertNeedSignIn(world: SwitchboardWorld, entries: AuthRequiredEntry[], servers: string, issuer: string): void {
  const expected = names(servers);
  assert.deepEqual(entries.map((e) => e.server).sort(), expected.sort());
  for (const entry of entries) {
    assert.equal(entry.issuer, auth(world).authServer(issuer).issuer);
    assert.equal(entry.auth_tool, `authenticate_${entry.server}`);
  }
}

Then('the tool list says that {string} need(s) a sign-in at {string}', async function (this: SwitchboardWorld, servers: string, issuer: string) {
  const listing = await this.client().client.listTools();
  const entries = authRequired(this, listing._meta).filter((e) => names(servers).includes(e.server));
  assertNeedSignIn(this, entries, servers, issuer);
});

Then('the tool list says that nothing needs a sign-in', async function (this: SwitchboardWorld) {
  const listing = await this.client().client.listTools();
  assert.deepEqual(authRequired(this, listing._meta), []);
});

Then('the call result says that {string} need(s) a sign-in at {string}', function (this: SwitchboardWorld, servers: string, issuer: string) {
  const result = this.client().lastResult as CallToolResult | undefined;
  assertNeedSignIn(this, authRequired(this, result?._meta), servers, issuer);
});

async function status(world: SwitchboardWorld, client = 'default'): Promise<StatusEntry[]> {
  const read = await world.client(client).client.readResource({ uri: 'auth://status' });
  const first = read.contents[0];
  assert.ok(first && 'text' in first && first.mimeType === 'application/json');
  return (JSON.parse(String(first.text)) as { servers: StatusEntry[] }).servers;
}

Then('the auth status shows {string} as {string}', async function (this: SwitchboardWorld, server: string, expected: string) {
  const entry = (await status(this)).find((s) => s.name === server);
  assert.equal(entry?.status, expected, JSON.stringify(entry));
});

Then('the auth status shows {string} as {string} at {string}', async function (this: SwitchboardWorld, server: string, expected: string, issuer: string) {
  const entry = (await status(this)).find((s) => s.name === server);
  assert.equal(entry?.status, expected, JSON.stringify(entry));
  assert.equal(entry?.issuer, auth(this).authServer(issuer).issuer);
  if (expected === 'auth_required' || expected === 'reauth_required') assert.equal(entry?.auth_tool, `authenticate_${server}`);
  if (expected === 'connected') assert.ok(entry?.expiresAt && Date.parse(entry.expiresAt) > Date.now(), 'a connected server shows when its token expires');
});

Then('{string} received a token from {string} meant for {string}', function (this: SwitchboardWorld, server: string, issuer: string, audience: string) {
  const received = auth(this).protectedServer(server).inspect().filter((r) => r.token);
  assert.ok(received.length > 0, `${server} received no token`);
  const last = received[received.length - 1]!;
  assert.equal(last.token?.iss, auth(this).authServer(issuer).issuer);
  assert.equal(last.token?.aud, auth(this).protectedServer(audience).url);
});

Then('{string} never received a token from {string}', function (this: SwitchboardWorld, server: string, issuer: string) {
  const foreign = auth(this).protectedServer(server).inspect().filter((r) => r.token?.iss === auth(this).authServer(issuer).issuer);
  assert.equal(foreign.length, 0);
});

Then('the client was told exactly once that the tool list changed', async function (this: SwitchboardWorld) {
  await eventually(() => this.client().count('notifications/tools/list_changed') >= 1, 'notifications/tools/list_changed');
  // Give a second notification the chance to arrive before counting.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(this.client().count('notifications/tools/list_changed'), 1);
});

Then('{string} was asked for {int} sign-in(s)', function (this: SwitchboardWorld, issuer: string, count: number) {
  assert.equal(auth(this).authServer(issuer).inspect().counts.tokenRequests.authorization_code ?? 0, count);
});

Then('the client is told that {string} is connected', function (this: SwitchboardWorld, server: string) {
  const structured = this.client().lastResult?.structuredContent as { server?: string; status?: string } | undefined;
  assert.deepEqual(structured, { server, status: 'connected' });
});

Then('the client is told that {string} needs no new sign-in', function (this: SwitchboardWorld, server: string) {
  const structured = this.client().lastResult?.structuredContent as { server?: string; status?: string; authorizationUrl?: string } | undefined;
  assert.equal(structured?.server, server);
  assert.equal(structured.authorizationUrl, undefined, 'a new sign-in was started');
  assert.ok(structured.status === 'connected' || structured.status === 'connecting', `"${server}" is ${structured.status}`);
});

Then('the client was asked to open the sign-in URL', async function (this: SwitchboardWorld) {
  const request = await eventually(() => this.client().elicitationRequests.find((r) => r.mode === 'url'), 'a URL-mode elicitation');
  const [url] = [...auth(this).signInUrls.values()].slice(-1);
  assert.equal(request.url, url);
  // MCP 2025-11-25 client/elicitation#url-mode carries an elicitationId; the in-band 2026-07-28 request has none.
  if (this.client().era === 'legacy') assert.ok(request.elicitationId);
});

Then('the client is told that the URL elicitation completed', async function (this: SwitchboardWorld) {
  const request = this.client().elicitationRequests.find((r) => r.mode === 'url');
  await eventually(() => auth(this).elicitationsCompleted.includes(request!.elicitationId!), 'notifications/elicitation/complete');
});
