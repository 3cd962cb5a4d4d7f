import assert from 'node:assert/strict';
import { Given, Then, When } from '@cucumber/cucumber';
import { frontDoor } from '../support/front-door.js';
import type { HttpAnswer } from '../support/http.js';
import type { SwitchboardWorld } from '../support/world.js';

/** Every answer of the admin API in this scenario, to check that none shows a secret. */
const answers = new WeakMap<SwitchboardWorld, HttpAnswer[]>();

/** A request to the admin API, as an operator sends it: JSON, with a token behind the front door. */
async function admin(world: SwitchboardWorld, method: string, path: string, options: { body?: unknown; raw?: string; type?: string; token?: string } = {}): Promise<HttpAnswer> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined) headers['content-type'] = options.type ?? 'application/json';
  const answer = await world.sendToSwitchboard(`/admin/servers${path}`, { method, headers, ...(body !== undefined && { body }) });
  answers.set(world, [...(answers.get(world) ?? []), answer]);
  return answer;
}

function answered(world: SwitchboardWorld): HttpAnswer {
  assert.ok(world.lastAnswer, 'the admin API was not asked anything');
  return world.lastAnswer;
}

function withHeader(world: SwitchboardWorld, server: string, header: string, value: string) {
  return { name: server, url: world.upstream(server).url, headers: { [header]: value } };
}

async function addWithHeader(world: SwitchboardWorld, server: string, header: string, value: string): Promise<void> {
  world.forgetNotifications();
  await admin(world, 'POST', '', { body: withHeader(world, server, header, value) });
}

When('the operator adds the server {string} with the header {string} set to {string}', async function (this: SwitchboardWorld, server: string, header: string, value: string) {
  await addWithHeader(this, server, header, value);
});

Given('the operator added the server {string} with the header {string} set to {string}', async function (this: SwitchboardWorld, server: string, header: string, value: string) {
  await addWithHeader(this, server, header, value);
  assert.equal(answered(this).status, 201, answered(this).text);
});

When('the operator reads the server {string}', async function (this: SwitchboardWorld, server: string) {
  await admin(this, 'GET', `/${server}`);
});

When('the operator changes the server {string} to a timeout of {int} ms, sending back what it read', async function (this: SwitchboardWorld, server: string, timeoutMs: number) {
  const read = JSON.parse((await admin(this, 'GET', `/${server}`)).text) as Record<string, unknown>;
  const { source: _source, ...entry } = read;
  await admin(this, 'PUT', `/${server}`, { body: { ...entry, timeoutMs } });
});

When('the operator deletes the server {string}', async function (this: SwitchboardWorld, server: string) {
  this.forgetNotifications();
  await admin(this, 'DELETE', `/${server}`);
});

When('the operator lists the servers', async function (this: SwitchboardWorld) {
  await admin(this, 'GET', '');
});

const BAD_REQUESTS: Record<string, (world: SwitchboardWorld) => Promise<HttpAnswer>> = {
  'a server with an unknown key "colour"': (world) => admin(world, 'POST', '', { body: { name: 'extra', url: world.upstream('news').url, colour: 'blue' } }),
  'a server named "weather" again': (world) => admin(world, 'POST', '', { body: { name: 'weather', url: world.upstream('news').url } }),
  'a server named "Not Allowed!"': (world) => admin(world, 'POST', '', { body: { name: 'Not Allowed!', url: world.upstream('news').url } }),
  'a server whose timeoutMs is "soon"': (world) => admin(world, 'POST', '', { body: { name: 'extra', url: world.upstream('news').url, timeoutMs: 'soon' } }),
  'a server that runs a command': (world) => admin(world, 'POST', '', { body: { name: 'extra', command: 'sh', args: ['-c', 'echo pwned'] } }),
  'a body of 100 kB': (world) => admin(world, 'POST', '', { body: { name: 'extra', url: world.upstream('news').url, headers: { 'x-padding': 'x'.repeat(100_000) } } }),
  'a server as plain text': (world) => admin(world, 'POST', '', { raw: JSON.stringify({ name: 'extra', url: world.upstream('news').url }), type: 'text/plain' }),
  'a body that is not JSON': (world) => admin(world, 'POST', '', { raw: '{"name": "extra", ' }),
};

When(/^the operator sends (.+)$/, async function (this: SwitchboardWorld, request: string) {
  const send = BAD_REQUESTS[request];
  assert.ok(send, `no bad request "${request}" in the steps`);
  await send(this);
});

async function asUser(world: SwitchboardWorld, user: string, scope: string): Promise<string> {
  return frontDoor(world).tokenFor(user, scope);
}

When('{string} with the scope {string} lists the servers', async function (this: SwitchboardWorld, user: string, scope: string) {
  await admin(this, 'GET', '', { token: await asUser(this, user, scope) });
});

When('{string} with the scope {string} adds the server {string}', async function (this: SwitchboardWorld, user: string, scope: string, server: string) {
  await admin(this, 'POST', '', { token: await asUser(this, user, scope), body: { name: server, url: this.upstream(server).url } });
});

When('{string} with the scope {string} moves the server {string} to the address of {string}', async function (this: SwitchboardWorld, user: string, scope: string, server: string, target: string) {
  await admin(this, 'PUT', `/${server}`, { token: await asUser(this, user, scope), body: { url: this.upstream(target).url } });
});

When('{string} with the scope {string} deletes the server {string}', async function (this: SwitchboardWorld, user: string, scope: string, server: string) {
  await admin(this, 'DELETE', `/${server}`, { token: await asUser(this, user, scope) });
});

Then('the admin API answers {int}', function (this: SwitchboardWorld, status: number) {
  assert.equal(answered(this).status, status, answered(this).text);
});

Then('the admin API answers {int} with an error mentioning {string}', function (this: SwitchboardWorld, status: number, words: string) {
  const answer = answered(this);
  assert.equal(answer.status, status, answer.text);
  const body = JSON.parse(answer.text) as { error?: string; error_description?: string };
  assert.ok(body.error, `no error code in ${answer.text}`);
  assert.ok(body.error_description?.includes(words), `"${body.error_description}" does not mention "${words}"`);
});

Then('the admin API shows the header {string} of {string} as {string}', function (this: SwitchboardWorld, header: string, server: string, shown: string) {
  const body = JSON.parse(answered(this).text) as { name?: string; headers?: Record<string, string> };
  assert.equal(body.name, server);
  assert.equal(body.headers?.[header], shown);
});

Then('no answer of the admin API contained {string}', function (this: SwitchboardWorld, secret: string) {
  const leaked = (answers.get(this) ?? []).filter((answer) => answer.text.includes(secret));
  assert.deepEqual(leaked.map((answer) => answer.status), []);
});

Then('the admin API lists the servers {string}', async function (this: SwitchboardWorld, list: string) {
  const operator = frontDoor(this).idp ? { token: await asUser(this, 'auditor', 'servers.read') } : {};
  const answer = await admin(this, 'GET', '', operator);
  assert.equal(answer.status, 200, answer.text);
  const body = JSON.parse(answer.text) as { servers: { name: string }[] };
  assert.deepEqual(body.servers.map((s) => s.name), list.split(',').map((name) => name.trim()));
});

Then('the upstream {string} received the Authorization header {string}', function (this: SwitchboardWorld, server: string, value: string) {
  assert.ok(this.mock(server).authorizationHeaders().includes(value), `"${server}" received ${JSON.stringify(this.mock(server).authorizationHeaders())}`);
});
