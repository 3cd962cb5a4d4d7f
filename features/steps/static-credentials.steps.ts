import assert from 'node:assert/strict';
import { After, Given, When, Then } from '@cucumber/cucumber';
import { decodeJwt, exportJWK, exportPKCS8, generateKeyPair, importJWK, jwtVerify, type JWK } from 'jose';
import type { MockCredential } from '../../mock-servers/mcp/index.js';
import { auth } from '../support/auth.js';
import { eventually } from '../support/wait.js';
import type { SwitchboardWorld } from '../support/world.js';

/** Environment variables a scenario set for switchboard's configuration (`${NAME}`), removed after it. */
const scenarioEnv = new WeakMap<SwitchboardWorld, string[]>();

function fromEnvironment(world: SwitchboardWorld, server: string, value: string): string {
  const name = `SB_BDD_${server.toUpperCase().replace(/-/g, '_')}_SECRET`;
  process.env[name] = value;
  scenarioEnv.set(world, [...(scenarioEnv.get(world) ?? []), name]);
  return `\${${name}}`;
}

After(function (this: SwitchboardWorld) {
  for (const name of scenarioEnv.get(this) ?? []) delete process.env[name];
});

async function demanding(world: SwitchboardWorld, server: string, credential: MockCredential): Promise<void> {
  const upstream = await world.startUpstream(server, 'streamable-http', { tools: [{ name: 'echo' }] });
  upstream.mock!.setCredential(credential);
}

// --- upstreams that demand a credential ---

Given('an upstream {string} that demands the bearer token {string}', async function (this: SwitchboardWorld, server: string, token: string) {
  await demanding(this, server, { kind: 'bearer', token });
});

Given('an upstream {string} that demands the user {string} with the password {string}', async function (this: SwitchboardWorld, server: string, username: string, password: string) {
  await demanding(this, server, { kind: 'basic', username, password });
});

Given('an upstream {string} that demands the header {string} with {string}', async function (this: SwitchboardWorld, server: string, name: string, value: string) {
  await demanding(this, server, { kind: 'header', name, value });
});

Given('an upstream {string} that demands the query key {string} with {string}', async function (this: SwitchboardWorld, server: string, param: string, value: string) {
  await demanding(this, server, { kind: 'query', param, value });
});

When('the upstream {string} demands the bearer token {string} from now on', function (this: SwitchboardWorld, server: string, token: string) {
  this.mock(server).setCredential({ kind: 'bearer', token });
});

// --- what switchboard is configured to send ---

Given('switchboard sends {string} the bearer token {string} from the environment', function (this: SwitchboardWorld, server: string, token: string) {
  this.upstream(server).settings.auth = { type: 'bearer', token: fromEnvironment(this, server, token) };
});

Given('switchboard sends {string} the user {string} with the password from a file holding {string}', async function (this: SwitchboardWorld, server: string, username: string, password: string) {
  const files = await this.files();
  await files.write(`${server}.password`, `${password}\n`);
  this.upstream(server).settings.auth = { type: 'basic', username, password: { file: files.path(`${server}.password`) } };
});

Given('switchboard sends {string} the header {string} with {string}', function (this: SwitchboardWorld, server: string, name: string, value: string) {
  this.upstream(server).settings.auth = { type: 'headers', headers: { [name]: fromEnvironment(this, server, value) } };
});

Given('switchboard sends {string} the query key {string} with {string}', function (this: SwitchboardWorld, server: string, param: string, value: string) {
  this.upstream(server).settings.auth = { type: 'query', param, value: fromEnvironment(this, server, value) };
});

// --- client credentials ---

Given('an authorization server {string} that knows the service client {string} with the secret {string}', async function (this: SwitchboardWorld, name: string, clientId: string, clientSecret: string) {
  await auth(this).startAuthServer(name, { preRegisteredClients: [{ clientId, clientSecret, redirectUris: [] }] });
});

Given('tokens of {string} live {int} seconds', function (this: SwitchboardWorld, name: string, seconds: number) {
  auth(this).authServer(name).setOptions({ accessTokenTtlSeconds: seconds });
});

Given('switchboard uses the client credentials {string} with the secret {string} for {string}', function (this: SwitchboardWorld, clientId: string, clientSecret: string, server: string) {
  // Nothing else: the token endpoint is found through the server's protected resource metadata.
  this.upstream(server).settings.auth = { type: 'client_credentials', clientId, clientSecret: fromEnvironment(this, server, clientSecret) };
});

/** The key pair of each private_key_jwt service client of a scenario: the authorization server knows the public half. */
const serviceKeys = new WeakMap<SwitchboardWorld, Map<string, { publicJwk: JWK; privatePem: string }>>();

function serviceKey(world: SwitchboardWorld, clientId: string) {
  const key = serviceKeys.get(world)?.get(clientId);
  if (!key) throw new Error(`no key pair of the service client "${clientId}" in this scenario`);
  return key;
}

Given('an authorization server {string} that knows the service client {string} by its public key', async function (this: SwitchboardWorld, name: string, clientId: string) {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: `${clientId}-key`, alg: 'ES256', use: 'sig' };
  const keys = serviceKeys.get(this) ?? new Map();
  keys.set(clientId, { publicJwk, privatePem: await exportPKCS8(privateKey) });
  serviceKeys.set(this, keys);
  await auth(this).startAuthServer(name, { preRegisteredClients: [{ clientId, jwks: [publicJwk as JsonWebKey], redirectUris: [] }] });
});

Given('switchboard uses the client credentials {string} with its private key from a file for {string}', async function (this: SwitchboardWorld, clientId: string, server: string) {
  const files = await this.files();
  await files.write(`${clientId}.pem`, serviceKey(this, clientId).privatePem);
  // Nothing else: the token endpoint is found through the server's protected resource metadata.
  this.upstream(server).settings.auth = { type: 'client_credentials', clientId, privateKeyJwt: { keyFile: files.path(`${clientId}.pem`), alg: 'ES256', kid: `${clientId}-key` } };
});

Then('{string} authenticated {string} by a JWT client assertion signed with its key, for {string} itself', async function (this: SwitchboardWorld, name: string, clientId: string, audience: string) {
  const server = auth(this).authServer(audience);
  const requests = auth(this).authServer(name).inspect().tokenRequests;
  assert.ok(requests.length > 0, 'no token request');
  const publicKey = await importJWK(serviceKey(this, clientId).publicJwk, 'ES256');
  for (const request of requests) {
    assert.equal(request.clientAuthMethod, 'private_key_jwt');
    // RFC 7523 section 2.2: the assertion and its type in the body, and no secret beside them.
    assert.equal(request.params.client_assertion_type, 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    assert.equal(request.params.client_secret, undefined);
    const assertion = request.params.client_assertion;
    assert.ok(assertion, 'no client_assertion');
    await jwtVerify(assertion, publicKey);
    // RFC 7523 section 3: issuer and subject are the client, the audience the authorization server, with an expiry.
    const claims = decodeJwt(assertion);
    assert.equal(claims.iss, clientId);
    assert.equal(claims.sub, clientId);
    assert.ok([claims.aud].flat().some((aud) => aud === server.issuer || aud === `${server.issuer}/token`), `aud ${JSON.stringify(claims.aud)}`);
    assert.ok(typeof claims.exp === 'number');
  }
});

Then('the private key of {string} appears nowhere in what switchboard logged', function (this: SwitchboardWorld, clientId: string) {
  const { privatePem } = serviceKey(this, clientId);
  const body = privatePem.split('\n').filter((line) => line && !line.startsWith('-----')).join('');
  assert.ok(this.logLines.length > 0, 'switchboard logged nothing: the check would prove nothing');
  const logged = this.logLines.join('\n');
  for (const piece of [body.slice(0, 40), body.slice(-40)]) assert.ok(!logged.includes(piece), 'a piece of the private key was logged');
});

When('{string} revokes every token', function (this: SwitchboardWorld, name: string) {
  auth(this).authServer(name).revokeAll();
});

Then('{string} issued client credentials tokens only, to {string}', function (this: SwitchboardWorld, name: string, clientId: string) {
  const requests = auth(this).authServer(name).inspect().tokenRequests;
  assert.ok(requests.length > 0, 'no token request');
  assert.deepEqual([...new Set(requests.map((r) => `${r.grantType} ${r.clientId} ${r.outcome}`))], [`client_credentials ${clientId} issued`]);
  assert.equal(auth(this).authServer(name).inspect().authorizationRequests.length, 0, 'nobody was sent to sign in');
});

Then('{string} issued at least {int} client credentials tokens', function (this: SwitchboardWorld, name: string, count: number) {
  const issued = auth(this).authServer(name).inspect().tokenRequests.filter((r) => r.grantType === 'client_credentials' && r.outcome === 'issued');
  assert.ok(issued.length >= count, `${issued.length} issued`);
});

Then('{string} never refused an expired token', function (this: SwitchboardWorld, server: string) {
  const refused = auth(this).protectedServer(server).inspect().filter((r) => r.tokenPresented && r.rejection !== undefined);
  assert.deepEqual(refused.map((r) => r.rejection), []);
});

// --- what switchboard shows ---

Then('switchboard reports {string} as failed because {string}', async function (this: SwitchboardWorld, server: string, reason: string) {
  await eventually(async () => (await this.readiness()).servers[server]?.state === 'failed', `${server} failed in /readyz`);
  const entry = (await this.readiness()).servers[server];
  assert.ok(entry?.detail?.includes(reason), `/readyz: ${JSON.stringify(entry)}`);
});

Then('switchboard reports {string} as failed because {string} with {string}', async function (this: SwitchboardWorld, server: string, reason: string, status: string) {
  await eventually(async () => (await this.readiness()).servers[server]?.state === 'failed', `${server} failed in /readyz`);
  const entry = (await this.readiness()).servers[server];
  assert.ok(entry?.detail?.includes(reason) && entry.detail.includes(status), `/readyz: ${JSON.stringify(entry)}`);
});

Then('every request {string} received had {string} in its URL', function (this: SwitchboardWorld, server: string, query: string) {
  const urls = this.mock(server).requestUrls();
  assert.ok(urls.length > 0, 'no request');
  assert.deepEqual(urls.filter((url) => !url.includes(query)), []);
  assert.equal(this.mock(server).refused(), 0);
});

Then('the secret {string} appears nowhere in what switchboard logged, reported or answered', async function (this: SwitchboardWorld, secret: string) {
  const client = this.client().client;
  const seen: [string, string][] = [
    ['log', this.logLines.join('\n')],
    ['/readyz', (await this.sendToSwitchboard('/readyz')).text],
    ['/metrics', (await this.sendToSwitchboard('/metrics')).text],
    ['auth://status', JSON.stringify(await client.readResource({ uri: 'auth://status' }))],
    ['tools/list', JSON.stringify(await client.listTools())],
    ['the last call', JSON.stringify(this.client().lastResult ?? this.client().lastError?.message ?? '')],
  ];
  assert.ok(this.logLines.length > 0, 'switchboard logged nothing: the check would prove nothing');
  for (const [where, text] of seen) assert.ok(!text.includes(secret), `the secret appears in ${where}`);
});

Then('every tool the client sees names its server: {string} from {string}, {string} and {string} from {string}', async function (this: SwitchboardWorld, first: string, firstServer: string, second: string, third: string, otherServer: string) {
  const { tools } = await this.client().client.listTools();
  const origin = (name: string) => tools.find((t) => t.name === name)?._meta?.['switchboard/server'];
  assert.equal(origin(first), firstServer);
  assert.equal(origin(second), otherServer);
  assert.equal(origin(third), otherServer);
  // switchboard's own tools (sign-in, sign-out) come from no upstream.
  for (const tool of tools) if (!tool.name.startsWith('authenticate_') && tool.name !== 'switchboard_sign_out') assert.ok(tool._meta?.['switchboard/server'], `${tool.name} names no server`);
});

Then('the prompt {string} names its server {string}', async function (this: SwitchboardWorld, name: string, server: string) {
  const { prompts } = await this.client().client.listPrompts();
  assert.equal(prompts.find((p) => p.name === name)?._meta?.['switchboard/server'], server, JSON.stringify(prompts));
});

Then('the resource {string} names its server {string}', async function (this: SwitchboardWorld, uri: string, server: string) {
  const { resources } = await this.client().client.listResources();
  assert.equal(resources.find((r) => r.uri === uri)?._meta?.['switchboard/server'], server, JSON.stringify(resources));
});
