import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Given, When, Then } from '@cucumber/cucumber';
import type { MetadataEndpoint } from '../../mock-servers/oauth/index.js';
import type { PrmMode } from '../../mock-servers/protected/options.js';
import { auth } from '../support/auth.js';
import { startMetadataFront } from '../support/metadata-front.js';
import { authServerOf, checks, configureServer, fixSwitchboardAddress } from '../support/sign-in-checks.js';
import type { SwitchboardWorld } from '../support/world.js';

// --- how a server tells where to sign in ---

Given('a protected server {string} behind {string} that publishes its metadata only where its 401 answers say', async function (this: SwitchboardWorld, name: string, issuer: string) {
  // The front hides every well-known address; its tokens are meant for the front, so the server behind accepts any audience.
  const server = await auth(this).startProtected(name, issuer, { audience: 'none' });
  const front = await startMetadataFront(server);
  checks(this).fronts.push(front);
  this.upstream(name).url = front.url;
});

const PRM_PLACES: Record<string, PrmMode> = {
  'its metadata only at the well-known address for its path': 'path-aware',
  'its metadata only at the well-known address of its host': 'root',
  'no metadata': 'none',
};

Given(/^a protected server "([^"]+)" behind "([^"]+)" that publishes (its metadata only at the well-known address for its path|its metadata only at the well-known address of its host|no metadata)$/,
  async function (this: SwitchboardWorld, name: string, issuer: string, place: string) {
    await auth(this).startProtected(name, issuer, { prmMode: PRM_PLACES[place] });
  });

Given('the operator pins the authorization server of {string} to {string}', function (this: SwitchboardWorld, server: string, issuer: string) {
  configureServer(this, server, { auth: { issuer: auth(this).authServer(issuer).issuer } });
});

Given('an authorization server {string} whose issuer has the path {string}', async function (this: SwitchboardWorld, name: string, path: string) {
  await auth(this).startAuthServer(name, { issuerPath: path });
});

const METADATA_PLACES: Record<string, MetadataEndpoint> = {
  'the OAuth well-known address': 'oauth',
  'the OpenID well-known address': 'oidc',
  'the OpenID address below its issuer': 'oidc-appended',
};

Given('{string} publishes its metadata only at {string}', function (this: SwitchboardWorld, name: string, place: string) {
  const endpoint = METADATA_PLACES[place];
  assert.ok(endpoint, `unknown place "${place}"; one of ${Object.keys(METADATA_PLACES).join(', ')}`);
  auth(this).authServer(name).setOptions({ metadataEndpoints: [endpoint] });
});

Then('{string} received a token from {string}', function (this: SwitchboardWorld, server: string, issuer: string) {
  const received = auth(this).protectedServer(server).inspect().filter((r) => r.token);
  assert.ok(received.length > 0, `${server} received no valid token`);
  assert.equal(received.at(-1)?.token?.iss, auth(this).authServer(issuer).issuer);
});

// --- how switchboard identifies itself ---

Given('an authorization server {string} that offers dynamic client registration only', async function (this: SwitchboardWorld, name: string) {
  await auth(this).startAuthServer(name, { cimd: false, dcr: true });
});

Given("switchboard publishes its client metadata document at its own address for {string}", async function (this: SwitchboardWorld, server: string) {
  const publicUrl = await fixSwitchboardAddress(this);
  configureServer(this, server, { auth: { clientMetadataUrl: `${publicUrl}/oauth/client-metadata.json` } });
});

Given('an authorization server {string} that knows switchboard as the client {string}', async function (this: SwitchboardWorld, name: string, clientId: string) {
  const publicUrl = await fixSwitchboardAddress(this);
  const clientSecret = randomBytes(24).toString('base64url');
  await auth(this).startAuthServer(name, { preRegisteredClients: [{ clientId, clientSecret, redirectUris: [`${publicUrl}/oauth/callback`] }] });
});

Given('the operator configures {string} with the client {string} of {string}', function (this: SwitchboardWorld, server: string, clientId: string, issuer: string) {
  const client = auth(this).authServer(issuer).inspect().clients.find((c) => c.clientId === clientId);
  assert.ok(client?.clientSecret, `"${issuer}" knows no confidential client "${clientId}"`);
  configureServer(this, server, { auth: { clientId, clientSecret: client.clientSecret } });
});

Then("{string} fetched switchboard's client metadata document", function (this: SwitchboardWorld, issuer: string) {
  const url = `${String(this.config.publicUrl)}/oauth/client-metadata.json`;
  assert.ok(auth(this).authServer(issuer).inspect().cimdFetches.includes(url), `fetches: ${JSON.stringify(auth(this).authServer(issuer).inspect().cimdFetches)}`);
});

Then('{string} knows switchboard by the address of that document', function (this: SwitchboardWorld, issuer: string) {
  const url = `${String(this.config.publicUrl)}/oauth/client-metadata.json`;
  const seen = auth(this).authServer(issuer).inspect();
  assert.equal(seen.lastAuthorizationRequest?.params.client_id, url);
  assert.equal(seen.lastTokenRequest?.clientId, url);
});

Then('{string} registered switchboard {int} time(s)', function (this: SwitchboardWorld, issuer: string, count: number) {
  assert.equal(auth(this).authServer(issuer).inspect().counts.registrations, count);
});

Then('{string} knows switchboard as {string}, with its secret', function (this: SwitchboardWorld, issuer: string, clientId: string) {
  const seen = auth(this).authServer(issuer).inspect();
  assert.equal(seen.lastAuthorizationRequest?.params.client_id, clientId);
  assert.equal(seen.lastTokenRequest?.clientId, clientId);
  assert.notEqual(seen.lastTokenRequest?.clientAuthMethod, 'none');
  assert.equal(seen.lastTokenRequest?.outcome, 'issued');
});

// --- what protects the sign-in ---

Then('the code verifier switchboard sent to {string} matches the S256 challenge of its authorization request', function (this: SwitchboardWorld, issuer: string) {
  const seen = auth(this).authServer(issuer).inspect();
  const authorization = seen.lastAuthorizationRequest?.params;
  const token = seen.tokenRequests.filter((r) => r.grantType === 'authorization_code').at(-1)?.params;
  assert.ok(authorization && token, 'a sign-in was made');
  assert.equal(authorization.code_challenge_method, 'S256');
  assert.ok(token.code_verifier && token.code_verifier.length >= 43, 'RFC 7636 section 4.1: a verifier of 43 characters or more');
  assert.equal(createHash('sha256').update(token.code_verifier).digest('base64url'), authorization.code_challenge);
});

Then('{string} was asked for a token meant for {string} in the authorization request and in the token request', function (this: SwitchboardWorld, issuer: string, server: string) {
  const seen = auth(this).authServer(issuer).inspect();
  const resource = auth(this).protectedServer(server).url;
  assert.deepEqual(seen.lastAuthorizationRequest?.resources, [resource]);
  assert.deepEqual(seen.tokenRequests.filter((r) => r.grantType === 'authorization_code').at(-1)?.resources, [resource]);
});

When('the client asks to sign in to {string} twice', async function (this: SwitchboardWorld, server: string) {
  for (let i = 0; i < 2; i++) {
    await this.client().call(`authenticate_${server}`, {});
    const url = (this.client().lastResult?.structuredContent as { authorizationUrl?: string } | undefined)?.authorizationUrl;
    assert.ok(url, `no sign-in URL: ${JSON.stringify(this.client().lastResult)}`);
    checks(this).signInUrls.push(url);
  }
});

Then('each sign-in URL carries its own state of at least {int} characters', function (this: SwitchboardWorld, length: number) {
  const states = checks(this).signInUrls.map((url) => new URL(url).searchParams.get('state') ?? '');
  assert.equal(states.length, 2);
  assert.notEqual(states[0], states[1]);
  for (const state of states) {
    assert.ok(state.length >= length, `"${state}" is shorter than ${length} characters`);
    assert.match(state, /^[A-Za-z0-9_-]+$/);
  }
});

function lastSignInUrl(world: SwitchboardWorld): string {
  const [url] = [...auth(world).signInUrls.values()].slice(-1);
  assert.ok(url, 'no sign-in URL was handed out');
  return url;
}

/** Plays the browser through the authorization server; `tamper` changes the callback before the browser opens it. */
async function approveWithCallback(world: SwitchboardWorld, tamper: (callback: URL) => void): Promise<void> {
  await auth(world).approve(lastSignInUrl(world), (callback) => {
    checks(world).genuineCallback = new URL(callback.href);
    const changed = new URL(callback.href);
    tamper(changed);
    return changed;
  });
}

When('the browser opens the same callback again', async function (this: SwitchboardWorld) {
  const callbackUrl = auth(this).lastSignIn?.callbackUrl;
  assert.ok(callbackUrl, 'no callback was opened yet');
  const answer = await fetch(callbackUrl);
  auth(this).lastSignIn = { status: answer.status, text: pageText(await answer.text()), callbackUrl };
});

When('the user approves the sign-in, but the callback carries a state switchboard never issued', async function (this: SwitchboardWorld) {
  await approveWithCallback(this, (callback) => callback.searchParams.set('state', randomBytes(32).toString('base64url')));
});

When('the browser then opens the genuine callback', async function (this: SwitchboardWorld) {
  const genuine = checks(this).genuineCallback;
  assert.ok(genuine, 'no genuine callback was kept');
  const answer = await fetch(genuine);
  auth(this).lastSignIn = { status: answer.status, text: pageText(await answer.text()), callbackUrl: genuine.href };
});

When('the user approves the sign-in, but the callback says it comes from another authorization server', async function (this: SwitchboardWorld) {
  await approveWithCallback(this, (callback) => callback.searchParams.set('iss', 'https://attacker.example'));
});

When('the user approves the sign-in, but the callback does not say which authorization server it comes from', async function (this: SwitchboardWorld) {
  await approveWithCallback(this, (callback) => {
    assert.ok(callback.searchParams.has('iss'), 'the authorization server names itself in its answers (RFC 9207)');
    callback.searchParams.delete('iss');
  });
});

When('the user denies the sign-in in the browser', async function (this: SwitchboardWorld) {
  const url = lastSignInUrl(this);
  // The authorization server answers the way RFC 6749 section 4.1.2.1 says: a redirect carrying error=access_denied.
  authServerOf(this, url).failNext('authorize', { status: 302, error: 'access_denied', description: 'the user said no' });
  await auth(this).approve(url);
});

Then('the sign-in is refused with an error mentioning {string}', function (this: SwitchboardWorld, words: string) {
  const result = this.client().lastResult;
  assert.equal(result?.isError, true, `expected the sign-in to be refused, got ${JSON.stringify(result ?? this.client().lastError?.message)}`);
  const text = this.client().resultText();
  assert.ok(text.includes(words), `"${text}" does not mention "${words}"`);
  assert.equal((result.structuredContent as { authorizationUrl?: string } | undefined)?.authorizationUrl, undefined);
  assert.ok(!/https?:\/\/\S+\?\S*state=/.test(text), 'no sign-in URL is handed out');
});

Then('{string} was never asked to sign anyone in', function (this: SwitchboardWorld, issuer: string) {
  const { counts } = auth(this).authServer(issuer).inspect();
  assert.equal(counts.authorizationRequests, 0);
  assert.equal(counts.tokenRequests.authorization_code ?? 0, 0);
  assert.equal(counts.registrations, 0);
});

function pageText(html: string): string {
  return html.replace(/<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
}
