import assert from 'node:assert/strict';
import { Given, When, Then } from '@cucumber/cucumber';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { signedInUser } from '../../src/principal/index.js';
import { auth } from '../support/auth.js';
import { TestClient, type ClientEra } from '../support/client.js';
import { frontDoor } from '../support/front-door.js';
import { initializeBody, MCP_POST_HEADERS, modernToolsList, sendHttp } from '../support/http.js';
import { InMemoryOAuthClient } from '../support/oauth-client.js';
import { eventually } from '../support/wait.js';
import type { SwitchboardWorld } from '../support/world.js';

const ERA: Record<string, ClientEra> = { '2025-11-25': 'legacy', '2026-07-28': 'modern' };

// --- set-up ---

Given('switchboard is protected by {string}', function (this: SwitchboardWorld, idp: string) {
  frontDoor(this).idp = idp;
  this.config.inboundAuth = { issuer: auth(this).authServer(idp).issuer };
});

Given('switchboard is protected by {string}, keeping upstream tokens per session', function (this: SwitchboardWorld, idp: string) {
  frontDoor(this).idp = idp;
  this.config.inboundAuth = { issuer: auth(this).authServer(idp).issuer };
  this.config.tokens = { scope: 'session' };
});

Given('{client} is connected as {string}', async function (this: SwitchboardWorld, client: string, user: string) {
  await frontDoor(this).connect(client, user);
});

Given('{client} is connected as {string} with a {word} client', async function (this: SwitchboardWorld, client: string, user: string, revision: string) {
  const era = ERA[revision];
  assert.ok(era, `no MCP revision ${revision}`);
  await frontDoor(this).connect(client, user, era);
});

Given('the upstream {string} is configured with the header {string} set to {string}', function (this: SwitchboardWorld, server: string, header: string, value: string) {
  const upstream = this.upstream(server);
  upstream.settings.headers = { ...(upstream.settings.headers as Record<string, string> | undefined), [header]: value };
});

// --- requests without a valid token ---

const WITHOUT_TOKEN: Record<string, { method: string; headers: Record<string, string>; body?: string }> = {
  'an initialize request': { method: 'POST', headers: { ...MCP_POST_HEADERS }, body: initializeBody() },
  'a 2026-07-28 request': { method: 'POST', ...modernToolsList() },
  'a request for a notification stream': { method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': 'any' } },
  'a request to end a session': { method: 'DELETE', headers: { 'mcp-session-id': 'any' } },
};

When(/^(an initialize request|a 2026-07-28 request|a request for a notification stream|a request to end a session) arrives without a token$/, async function (this: SwitchboardWorld, kind: string) {
  await this.sendToSwitchboard('/mcp', WITHOUT_TOKEN[kind]!);
});

When('an initialize request arrives with the token {string}', async function (this: SwitchboardWorld, token: string) {
  await this.sendToSwitchboard('/mcp', { method: 'POST', headers: { ...MCP_POST_HEADERS, authorization: `Bearer ${token}` }, body: initializeBody() });
});

When('an initialize request arrives with a token {string} issued for another service', async function (this: SwitchboardWorld, user: string) {
  const idp = auth(this).authServer(frontDoor(this).idp!);
  const { token } = await idp.mintAccessToken({ sub: user, resource: 'https://another-service.example/mcp' });
  await this.sendToSwitchboard('/mcp', { method: 'POST', headers: { ...MCP_POST_HEADERS, authorization: `Bearer ${token}` }, body: initializeBody() });
});

function resourceMetadataUrl(world: SwitchboardWorld): string {
  return `${new URL(world.url).origin}/.well-known/oauth-protected-resource/mcp`;
}

Then('it is refused as unauthenticated, with a challenge that says where to sign in', async function (this: SwitchboardWorld) {
  const answer = this.lastAnswer!;
  assert.equal(answer.status, 401, answer.text);
  assert.equal(answer.headers['www-authenticate'], `Bearer realm="switchboard", resource_metadata="${resourceMetadataUrl(this)}"`);
  // RFC 9728: the metadata names switchboard as the resource and the front door's identity provider.
  const metadata = JSON.parse((await sendHttp(resourceMetadataUrl(this))).text) as { resource: string; authorization_servers: string[]; bearer_methods_supported: string[] };
  assert.equal(metadata.resource, this.url);
  assert.deepEqual(metadata.authorization_servers, [auth(this).authServer(frontDoor(this).idp!).issuer]);
  assert.deepEqual(metadata.bearer_methods_supported, ['header']);
});

Then('it is refused as an invalid token, with a challenge that says where to sign in', function (this: SwitchboardWorld) {
  const answer = this.lastAnswer!;
  assert.equal(answer.status, 401, answer.text);
  const challenge = String(answer.headers['www-authenticate']);
  assert.ok(challenge.startsWith('Bearer realm="switchboard", error="invalid_token", error_description="'), challenge);
  assert.ok(challenge.endsWith(`resource_metadata="${resourceMetadataUrl(this)}"`), challenge);
});

Then('switchboard opened no session for it', async function (this: SwitchboardWorld) {
  assert.equal(this.lastAnswer?.headers['mcp-session-id'], undefined);
  assert.equal((await this.readiness()).sessions, 0);
});

When('a client connects with the token {string}', async function (this: SwitchboardWorld, token: string) {
  try {
    await TestClient.connect(this.url, {}, {}, this.clientEra, () => token);
    this.lastConnectError = undefined;
  } catch (error) {
    this.lastConnectError = error as Error;
  }
});

Then('the client cannot connect', function (this: SwitchboardWorld) {
  assert.ok(this.lastConnectError, 'the client connected with an invalid token');
  assert.match(this.lastConnectError.message, /401|Unauthorized|invalid_token/i);
});

// --- users and their tokens ---

When("{client}'s token is refreshed", async function (this: SwitchboardWorld, client: string) {
  const door = frontDoor(this);
  const before = door.token(client);
  const refreshed = await door.tokenFor(door.users.get(client)!);
  assert.notEqual(refreshed, before);
  door.tokens.set(client, refreshed);
});

When('{client} signs in to {string} as {string}', async function (this: SwitchboardWorld, client: string, server: string, user: string) {
  const upstreamIssuer = [...auth(this).authServers.entries()].find(([name]) => name !== frontDoor(this).idp)?.[1];
  assert.ok(upstreamIssuer, 'no upstream authorization server in this scenario');
  upstreamIssuer.setUser(user);
  const session = this.client(client);
  await session.toolNames();
  await session.call(`authenticate_${server}`, {});
  const structured = session.lastResult?.structuredContent as { authorizationUrl?: string } | undefined;
  assert.ok(structured?.authorizationUrl, `no sign-in URL: ${JSON.stringify(session.lastResult ?? session.lastError?.message)}`);
  const outcome = await auth(this).approve(structured.authorizationUrl);
  assert.equal(outcome.status, 200, outcome.text);
  await eventually(async () => (await session.toolNames()).includes(`${server}_whoami`), `${server}_whoami to be listed`);
});

Then('{client} gets a result mentioning {string}', function (this: SwitchboardWorld, client: string, words: string) {
  const session = this.client(client);
  assert.notEqual(session.lastResult?.isError, true, `the call failed: ${session.lastError?.message ?? session.resultText()}`);
  assert.ok(session.resultText().includes(words), `"${session.resultText()}" does not mention "${words}"`);
});

Then('{client} gets a protocol error mentioning {string}', function (this: SwitchboardWorld, client: string, words: string) {
  const error = this.client(client).lastError;
  assert.ok(error, `expected a protocol error, got a result: ${JSON.stringify(this.client(client).lastResult)}`);
  assert.ok(error.message.includes(words), `"${error.message}" does not mention "${words}"`);
});

Then('{client} can ping switchboard', async function (this: SwitchboardWorld, client: string) {
  assert.deepEqual(await this.client(client).legacyClient.ping(), {});
});

When("a request in {client}'s session arrives with the token of {string}", async function (this: SwitchboardWorld, client: string, user: string) {
  const id = this.client(client).openedSessionId;
  assert.ok(id, 'the client has no session');
  const token = await frontDoor(this).tokenFor(user);
  await this.sendToSwitchboard('/mcp', {
    method: 'POST',
    headers: { ...MCP_POST_HEADERS, 'mcp-session-id': id, authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} }),
  });
});

async function userGrant(world: SwitchboardWorld, issuer: string, user: string) {
  const principal = signedInUser(auth(world).authServer(frontDoor(world).idp!).issuer, user);
  return world.switchboard!.auth.store.getGrant(principal, auth(world).authServer(issuer).issuer);
}

Then('switchboard holds a sign-in at {string} for the user {string}', async function (this: SwitchboardWorld, issuer: string, user: string) {
  assert.ok((await userGrant(this, issuer, user))?.refreshToken, `no sign-in of ${user} at ${issuer} is stored`);
});

Then('switchboard holds no sign-in at {string} for the user {string}', async function (this: SwitchboardWorld, issuer: string, user: string) {
  assert.equal(await userGrant(this, issuer, user), undefined);
});

/** A sign-in's access tokens are kept per RFC 8707 resource: the MCP endpoint's address. */
async function resourcesOfSignIn(world: SwitchboardWorld, user: string, issuer: string): Promise<string[]> {
  const grant = await userGrant(world, issuer, user);
  assert.ok(grant?.refreshToken, `no sign-in of ${user} at ${issuer} is stored`);
  return Object.keys(grant.tokens);
}

Then('the sign-in of the user {string} at {string} holds a token for the address of {string}', async function (this: SwitchboardWorld, user: string, issuer: string, server: string) {
  assert.ok((await resourcesOfSignIn(this, user, issuer)).includes(auth(this).protectedServer(server).url));
});

Then('the sign-in of the user {string} at {string} holds no token for the address of {string}', async function (this: SwitchboardWorld, user: string, issuer: string, server: string) {
  assert.ok(!(await resourcesOfSignIn(this, user, issuer)).includes(auth(this).protectedServer(server).url));
});

// --- no token passthrough ---

Then("no upstream ever received a token a client presented to switchboard", function (this: SwitchboardWorld) {
  const presented = new Set(frontDoor(this).tokens.values());
  assert.ok(presented.size > 0);
  for (const [name, upstream] of this.upstreams) {
    if (upstream.mock) {
      const leaked = upstream.mock.authorizationHeaders().filter((header) => [...presented].some((token) => header.includes(token)));
      assert.deepEqual(leaked.length, 0, `${name} received a client's token`);
    }
  }
  for (const [name, server] of auth(this).protectedServers) {
    const received = server.inspect().filter((r) => r.tokenPresented);
    assert.ok(received.length > 0, `${name} was never called with a token`);
    for (const record of received) {
      assert.equal(record.rejection, undefined, `${name} refused a token switchboard sent (${record.rejection})`);
      assert.equal(record.token?.aud, server.url, `${name} received a token meant for ${String(record.token?.aud)}`);
    }
  }
});

Then('{string} received tokens of the users {string} only', function (this: SwitchboardWorld, server: string, users: string) {
  const subjects = new Set(auth(this).protectedServer(server).inspect().filter((r) => r.token).map((r) => r.token!.sub));
  assert.deepEqual([...subjects].sort(), users.split(',').map((u) => u.trim()).sort());
});

/**
 * Before its removal the server saw one token per user (each signed in once); after it came back, a token that switchboard
 * still held would be presented again. A deleted one cannot be: the server sees a second, newer token.
 */
Then('{string} was sent a new token of each of the users {string} once it was back, none it had seen before', function (this: SwitchboardWorld, server: string, users: string) {
  const records = auth(this).protectedServer(server).inspect().filter((r) => r.token);
  for (const user of users.split(',').map((u) => u.trim())) {
    const tokens = [...new Set(records.filter((r) => r.token!.sub === user).map((r) => r.token!.jti))];
    assert.equal(tokens.length, 2, `${server} saw ${tokens.length} tokens of ${user}: the one before its removal and a new one were expected`);
    const order = records.map((r) => r.token!.jti);
    assert.ok(order.lastIndexOf(tokens[0]) < order.indexOf(tokens[1]), `${user}'s first token was still presented after the new one`);
  }
});

Then('{string} was never asked to refresh a sign-in', function (this: SwitchboardWorld, issuer: string) {
  assert.equal(auth(this).authServer(issuer).inspect().counts.refreshGrants, 0);
});

// --- a real MCP client that signs in by itself ---

When('an MCP client that supports OAuth connects to switchboard knowing only its URL', async function (this: SwitchboardWorld) {
  const provider = new InMemoryOAuthClient();
  const open = () => {
    const client = new ModernClient({ name: 'desktop-client', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    return { client, transport: new ModernHttpTransport(new URL(this.url), { authProvider: provider }) };
  };
  const first = open();
  // The first attempt meets the 401; the SDK discovers, registers, and sends the "browser" to sign in.
  await assert.rejects(first.client.connect(first.transport), UnauthorizedError);
  const callback = provider.callback;
  if (!callback?.get('code')) throw new Error('the authorization server sent no code back');
  await first.transport.finishAuth(callback);
  const second = open();
  await second.client.connect(second.transport);
  this.oauthClient = { provider, client: second.client, transport: second.transport };
});

Then('it registered itself at {string}, signed in with PKCE for switchboard, and lists and calls tools', async function (this: SwitchboardWorld, idp: string) {
  const { provider, client } = this.oauthClient!;
  const server = auth(this).authServer(idp);
  const snapshot = server.inspect();
  assert.equal(snapshot.registrations.length, 1, 'one dynamic client registration');
  const request = snapshot.authorizationRequests.at(-1)!;
  assert.equal(request.params.code_challenge_method, 'S256');
  assert.deepEqual(request.resources, [this.url], 'the authorization request names switchboard as the resource');
  assert.deepEqual(snapshot.tokenRequests.at(-1)!.resources, [this.url], 'so does the token request');
  assert.ok(provider.authorizationUrls[0]?.href.startsWith(server.endpoints.authorization));
  const { tools } = await client.listTools();
  assert.ok(tools.some((t) => t.name === 'weather_echo'), JSON.stringify(tools.map((t) => t.name)));
  const result = await client.callTool({ name: 'weather_echo', arguments: { text: 'signed in by itself' } });
  assert.deepEqual(result.content, [{ type: 'text', text: 'signed in by itself' }]);
  await client.close();
});

declare module '@cucumber/cucumber' {
  interface World {
    lastConnectError?: Error;
    oauthClient?: { provider: InMemoryOAuthClient; client: ModernClient; transport: ModernHttpTransport };
  }
}
