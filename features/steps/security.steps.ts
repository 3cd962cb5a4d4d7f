import assert from 'node:assert/strict';
import { Given, When, Then } from '@cucumber/cucumber';
import { TestClient } from '../support/client.js';
import { auth } from '../support/auth.js';
import { freePort, type SwitchboardWorld } from '../support/world.js';

/** The credentials the client sends switchboard with every request: its own, never to be passed on. */
const clientCredentials = new WeakMap<SwitchboardWorld, string>();

Given('a client that sends its own credentials {string} is connected', async function (this: SwitchboardWorld, token: string) {
  const client = await TestClient.connect(this.url, {}, { authorization: `Bearer ${token}` }, this.clientEra);
  this.clients.set('default', client);
  clientCredentials.set(this, token);
});

Then('{string} was not given the client\'s credentials', function (this: SwitchboardWorld, upstream: string) {
  const token = clientCredentials.get(this);
  assert.ok(token, 'the client sends no credentials of its own');
  // The mock's `headers` tool answers with the headers of the request it arrived with.
  const headers = JSON.parse(this.client().resultText()) as Record<string, string>;
  assert.ok(Object.keys(headers).length > 0, `${upstream} reported no headers`);
  assert.equal(headers.authorization, undefined, `${upstream} received an Authorization header`);
  assert.ok(!JSON.stringify(headers).includes(token), `${upstream} received the client's credentials`);
});

Then('{string} was only ever presented tokens from {string}', function (this: SwitchboardWorld, server: string, issuer: string) {
  const expected = auth(this).authServer(issuer).issuer;
  const presented = auth(this).protectedServer(server).inspect().filter((r) => r.tokenPresented);
  assert.ok(presented.length > 0, `${server} was presented no token at all`);
  for (const request of presented) {
    // A token the server's own authorization server does not know fails introspection: no claims, "invalid_token".
    assert.equal(request.token?.iss, expected, `${server} was presented a token it refused (${request.rejection ?? 'unknown'}) on ${request.rpcMethod ?? request.httpMethod}`);
  }
  const token = clientCredentials.get(this);
  if (token) assert.ok(!JSON.stringify(auth(this).protectedServer(server).inspect()).includes(token), `${server} received the client's credentials`);
});

/** Protected servers declared down, with the port and issuer they come up with. */
const laterServers = new WeakMap<SwitchboardWorld, Map<string, { port: number; issuer: string }>>();

Given('a protected server {string} behind {string} that is not running yet', async function (this: SwitchboardWorld, name: string, issuer: string) {
  const port = await freePort();
  const later = laterServers.get(this) ?? new Map<string, { port: number; issuer: string }>();
  later.set(name, { port, issuer });
  laterServers.set(this, later);
  this.upstreams.set(name, { kind: 'streamable-http', spec: { name }, settings: {}, url: `http://127.0.0.1:${port}/mcp` });
});

When('the protected server {string} starts', async function (this: SwitchboardWorld, name: string) {
  const later = laterServers.get(this)?.get(name);
  assert.ok(later, `"${name}" was not declared as not running yet`);
  await auth(this).startProtected(name, later.issuer, { port: later.port });
});

// --- hostile metadata ---

Given('a protected server {string} behind {string} whose metadata describes the server at {string}', async function (this: SwitchboardWorld, name: string, issuer: string, resource: string) {
  await auth(this).startProtected(name, issuer, { prmOverrides: { resource } });
});

Given('the metadata of {string} names {string} as its issuer', function (this: SwitchboardWorld, name: string, issuer: string) {
  auth(this).authServer(name).setOptions({ metadataOverrides: { issuer } });
});

Given('{string} does not offer PKCE with S256', function (this: SwitchboardWorld, name: string) {
  auth(this).authServer(name).setOptions({ advertiseS256: false });
});

Given('the metadata of {string} sends the browser to {string}', function (this: SwitchboardWorld, name: string, url: string) {
  auth(this).authServer(name).setOptions({ metadataOverrides: { authorization_endpoint: url } });
});

Given('the metadata of {string} takes tokens at {string}', function (this: SwitchboardWorld, name: string, url: string) {
  auth(this).authServer(name).setOptions({ metadataOverrides: { token_endpoint: url } });
});

Given('the metadata of {string} registers clients at {string}', function (this: SwitchboardWorld, name: string, url: string) {
  auth(this).authServer(name).setOptions({ metadataOverrides: { registration_endpoint: url } });
});

// --- secrets in the log ---

When('{string} revokes every access token it issued', function (this: SwitchboardWorld, issuer: string) {
  auth(this).authServer(issuer).revokeAccessTokens();
});

Then('{string} renewed the access token with the refresh token', function (this: SwitchboardWorld, issuer: string) {
  assert.ok(auth(this).authServer(issuer).inspect().counts.refreshGrants >= 1, 'no refresh grant was asked for');
});

Then('switchboard\'s log holds none of the tokens, codes, verifiers, states and secrets of {string}, nor the client\'s credentials', function (this: SwitchboardWorld, issuer: string) {
  const seen = auth(this).authServer(issuer).inspect();
  const secrets = auth(this).secretsSeenBy(issuer);
  const own = clientCredentials.get(this);
  if (own) secrets.set(own, "the client's own credentials");
  assert.ok(seen.tokens.length > 0 && seen.refreshTokens.length > 0 && seen.tokenRequests.some((r) => r.params.code_verifier), 'the flows ran');
  const log = this.logLines.join('\n');
  assert.ok(log.includes('sign-in completed'), 'switchboard logged the sign-in');
  for (const [value, what] of secrets) {
    assert.ok(value.length >= 8, `${what} is too short to search for`);
    assert.ok(!log.includes(value), `switchboard's log holds ${what}`);
  }
});
