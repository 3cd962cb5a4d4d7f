import assert from 'node:assert/strict';
import { Given, Then } from '@cucumber/cucumber';
import { auth } from '../support/auth.js';
import { frontDoor } from '../support/front-door.js';
import { eventually } from '../support/wait.js';
import { freePort, type SwitchboardWorld } from '../support/world.js';

/** switchboard's client at the IdP (token exchange) and at the upstream authorization servers (JWT bearer grant). */
const CLIENT_ID = 'switchboard';
const IDP_SECRET = 'switchboard-secret-at-the-idp';
const UPSTREAM_SECRET = 'switchboard-secret-at-corp';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

interface StatusEntry { name: string; status: string; problem?: string }

Given('an authorization server {string} that trusts {string} for cross-app access', async function (this: SwitchboardWorld, name: string, idp: string) {
  await auth(this).startAuthServer(name, { trustedIdps: [auth(this).authServer(idp).issuer] });
});

/**
 * The operator's side: switchboard registered at the IdP and at the upstream's authorization server (one client id at
 * both, so the IdP names it in the ID-JAG), on a fixed port so the browser sign-in's redirect URI is known beforehand.
 */
Given(/^switchboard uses cross-app access for the (server|authorization server) "([^"]+)"$/, async function (this: SwitchboardWorld, kind: string, name: string) {
  const idpName = frontDoor(this).idp!;
  const idp = auth(this).authServer(idpName);
  const port = await freePort();
  this.config.http = { ...(this.config.http as object | undefined), port };
  const redirectUris = [`http://127.0.0.1:${port}/oauth/callback`];
  idp.registerClient({ clientId: CLIENT_ID, clientSecret: IDP_SECRET, redirectUris });
  for (const [serverName, authServer] of auth(this).authServers) {
    if (serverName !== idpName) authServer.registerClient({ clientId: CLIENT_ID, clientSecret: UPSTREAM_SECRET, redirectUris });
  }
  this.config.crossAppAccess = { clientId: CLIENT_ID, clientSecret: IDP_SECRET, ...(kind === 'authorization server' ? { issuers: [auth(this).authServer(name).issuer] } : {}) };
  for (const server of auth(this).protectedServers.keys()) {
    const upstream = this.upstream(server);
    upstream.settings.auth = { clientId: CLIENT_ID, clientSecret: UPSTREAM_SECRET, ...(kind === 'server' && server === name ? { crossAppAccess: true } : {}) };
  }
});

Given('{string} refuses the next token exchange', function (this: SwitchboardWorld, idp: string) {
  auth(this).authServer(idp).failNext('token', { status: 400, error: 'access_denied', description: 'policy denies this client for that audience' });
});

Then('{string} granted {string} access to {string} at {string}, asked with the token they presented to switchboard', function (this: SwitchboardWorld, idp: string, user: string, server: string, upstreamIssuer: string) {
  const seen = auth(this).authServer(idp).inspect();
  const grant = seen.idJags.find((g) => g.sub === user);
  assert.ok(grant, `${idp} issued no ID-JAG for ${user}: ${JSON.stringify(seen.idJags)}`);
  assert.equal(grant.audience, auth(this).authServer(upstreamIssuer).issuer);
  assert.equal(grant.resource, auth(this).protectedServer(server).url);
  assert.equal(grant.requestedBy, CLIENT_ID);
  assert.equal(grant.subjectTokenType, ACCESS_TOKEN_TYPE);
  const exchange = seen.tokenRequests.find((r) => r.grantType === 'urn:ietf:params:oauth:grant-type:token-exchange' && r.outcome === 'issued');
  assert.equal(exchange?.params.subject_token, frontDoor(this).tokens.get(user), 'the exchange did not present the token the client gave switchboard');
  const bearer = auth(this).authServer(upstreamIssuer).inspect().tokenRequests.find((r) => r.grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer');
  assert.equal(bearer?.outcome, 'issued', JSON.stringify(bearer && { outcome: bearer.outcome, error: bearer.error }));
  assert.equal(bearer.clientAuthMethod, 'client_secret_basic');
});

async function statusOf(world: SwitchboardWorld, client: string, server: string): Promise<StatusEntry | undefined> {
  const read = await world.client(client).client.readResource({ uri: 'auth://status' });
  const first = read.contents[0];
  assert.ok(first && 'text' in first);
  return (JSON.parse(String(first.text)) as { servers: StatusEntry[] }).servers.find((s) => s.name === server);
}

Then('the auth status of {client} says that {string} needs a sign-in because {string}', async function (this: SwitchboardWorld, client: string, server: string, reason: string) {
  const entry = await eventually(async () => {
    const found = await statusOf(this, client, server);
    return found?.status === 'auth_required' && found.problem ? found : undefined;
  }, `${server} to need a sign-in, with a reason`);
  assert.ok(entry.problem!.includes(reason), `"${entry.problem}" does not say "${reason}"`);
});

Then("{client}'s sign-in tool for {string} says why: {string}", async function (this: SwitchboardWorld, client: string, server: string, reason: string) {
  const tools = (await this.client(client).client.listTools()).tools;
  const tool = tools.find((t) => t.name === `authenticate_${server}`);
  assert.ok(tool, `no authenticate_${server} among ${tools.map((t) => t.name).join(', ')}`);
  assert.ok(tool.description?.includes(reason), `"${tool.description}" does not say "${reason}"`);
});

Then("switchboard's log holds none of the tokens and secrets of cross-app access", function (this: SwitchboardWorld) {
  const secrets = new Map<string, string>([[IDP_SECRET, 'client secret at the IdP'], [UPSTREAM_SECRET, 'client secret upstream']]);
  for (const token of frontDoor(this).tokens.values()) secrets.set(token, 'a front door token');
  for (const [name, server] of auth(this).authServers) {
    const seen = server.inspect();
    for (const t of seen.tokens) secrets.set(t.token, `access token of ${name}`);
    for (const r of seen.tokenRequests) {
      if (r.params.subject_token) secrets.set(r.params.subject_token, 'subject token');
      if (r.params.assertion) secrets.set(r.params.assertion, 'ID-JAG');
    }
  }
  assert.ok([...secrets.values()].includes('ID-JAG'), 'no ID-JAG was presented');
  assert.ok(this.logLines.length > 0, 'switchboard logged nothing');
  const leaks = [...secrets].filter(([value]) => this.logLines.some((line) => line.includes(value))).map(([, what]) => what);
  assert.deepEqual(leaks, []);
});
