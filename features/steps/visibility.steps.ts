import assert from 'node:assert/strict';
import { Given, When, Then } from '@cucumber/cucumber';
import { auth } from '../support/auth.js';
import { auditEvents } from '../support/audit.js';
import { frontDoor } from '../support/front-door.js';
import type { TestClient } from '../support/client.js';
import type { SwitchboardWorld } from '../support/world.js';

// --- set-up ---

Given('switchboard is protected by {string}, which lists a user\'s teams in the claim {string}', function (this: SwitchboardWorld, idp: string, claim: string) {
  frontDoor(this).idp = idp;
  this.config.inboundAuth = { issuer: auth(this).authServer(idp).issuer, teamsClaim: claim };
});

Given('switchboard has no front door', function (this: SwitchboardWorld) {
  delete this.config.inboundAuth;
  frontDoor(this).idp = undefined;
});

/** Settings of a server's config entry (mock upstreams and protected servers alike). */
function serverSettings(world: SwitchboardWorld, server: string): Record<string, unknown> {
  return world.upstream(server).settings;
}

Given('the server {string} is visible to the team {string} only', function (this: SwitchboardWorld, server: string, team: string) {
  Object.assign(serverSettings(this, server), { visibility: 'team', teams: [team] });
});

Given('the server {string} is private to {string}', function (this: SwitchboardWorld, server: string, owner: string) {
  Object.assign(serverSettings(this, server), { visibility: 'private', owners: [owner] });
});

function joinTeam(world: SwitchboardWorld, user: string, team: string): void {
  const claims = frontDoor(world).claims;
  const groups = (claims.get(user)?.groups as string[] | undefined) ?? [];
  claims.set(user, { groups: [...groups, team] });
}

Given(/^"([^"]+)" (?:is a member of|joins) the team "([^"]+)"$/, function (this: SwitchboardWorld, user: string, team: string) {
  joinTeam(this, user, team);
});

When('{string} joins the team {string} and {client}\'s token is refreshed', async function (this: SwitchboardWorld, user: string, team: string, client: string) {
  joinTeam(this, user, team);
  const door = frontDoor(this);
  door.tokens.set(client, await door.tokenFor(user));
});

// --- what a user sees ---

async function everythingListed(client: TestClient) {
  const [tools, prompts, resources, templates] = await Promise.all([
    client.client.listTools(),
    client.client.listPrompts(),
    client.client.listResources(),
    client.client.listResourceTemplates(),
  ]);
  return { tools, prompts, resources, templates };
}

Then('{client} sees the server {string} in its prompts and resources', async function (this: SwitchboardWorld, client: string, server: string) {
  const { prompts, resources } = await everythingListed(this.client(client));
  assert.ok(prompts.prompts.some((p) => p.name.startsWith(`${server}_`)), JSON.stringify(prompts.prompts.map((p) => p.name)));
  assert.ok(resources.resources.some((r) => r.uri.startsWith(`${server}+`)), JSON.stringify(resources.resources.map((r) => r.uri)));
});

Then('{client} sees nothing of the server {string}', async function (this: SwitchboardWorld, client: string, server: string) {
  const session = this.client(client);
  const listed = await everythingListed(session);
  // Anything that names the server, anywhere in what the client can list or read.
  const status = await session.client.readResource({ uri: 'auth://status' });
  const everything = JSON.stringify({ ...listed, status });
  assert.ok(!everything.includes(server), `the client can tell that "${server}" exists: ${everything}`);
  // The listings are not empty, so the check above looked at something.
  assert.ok(listed.tools.tools.length > 0);
});

// --- names of a server the user may not see ---

interface Refusal { code?: number; message: string; data?: unknown }

function refusalOf(error: unknown): Refusal {
  assert.ok(error instanceof Error, `expected a refusal, got ${JSON.stringify(error)}`);
  const { code, data } = error as { code?: number; data?: unknown };
  return { code, message: error.message, data };
}

async function refusal(work: () => Promise<unknown>): Promise<Refusal> {
  try {
    const result = await work();
    return { message: `answered: ${JSON.stringify(result)}` };
  } catch (error) {
    return refusalOf(error);
  }
}

/** The same answer for `name` as for `other`, once each name is put in place of the other. */
function assertSameAnswer(hidden: Refusal, unknown: Refusal, name: string, other: string): void {
  const neutral = (answer: Refusal) => JSON.parse(JSON.stringify(answer).replaceAll(name, '<name>').replaceAll(other, '<name>')) as Refusal;
  assert.ok(hidden.code !== undefined, `not refused: ${hidden.message}`);
  assert.deepEqual(neutral(hidden), neutral(unknown));
}

/** A name of the same shape that no server has. */
function nobodys(name: string): string {
  return name.replace(/^(authenticate_)?[a-z0-9-]+(_|\+)/, (_all, auth: string | undefined, separator: string) => `${auth ?? ''}nosuch${separator}`);
}

Then('for {client}, the tool {string} is refused exactly like a tool nobody has', async function (this: SwitchboardWorld, client: string, tool: string) {
  const session = this.client(client);
  const ask = async (name: string) => {
    await session.call(name, { text: 'x' });
    if (session.lastError) return refusalOf(session.lastError);
    return { message: `answered: ${JSON.stringify(session.lastResult)}` };
  };
  assertSameAnswer(await ask(tool), await ask(nobodys(tool)), tool, nobodys(tool));
});

Then('for {client}, the prompt {string} is refused exactly like a prompt nobody has', async function (this: SwitchboardWorld, client: string, prompt: string) {
  const { client: sdk } = this.client(client);
  const ask = (name: string) => refusal(() => sdk.getPrompt({ name }));
  assertSameAnswer(await ask(prompt), await ask(nobodys(prompt)), prompt, nobodys(prompt));
});

Then('for {client}, the resource {string} is refused exactly like a resource nobody has', async function (this: SwitchboardWorld, client: string, uri: string) {
  const { client: sdk } = this.client(client);
  const ask = (name: string) => refusal(() => sdk.readResource({ uri: name }));
  assertSameAnswer(await ask(uri), await ask(nobodys(uri)), uri, nobodys(uri));
});

Then('for {client}, completing the prompt {string} is answered exactly like for a prompt nobody has', async function (this: SwitchboardWorld, client: string, prompt: string) {
  const { client: sdk } = this.client(client);
  const ask = async (name: string) => JSON.stringify(await sdk.complete({ ref: { type: 'ref/prompt', name }, argument: { name: 'reason', value: 'r' } }));
  assert.equal(await ask(prompt), await ask(nobodys(prompt)));
});

Then('the audit trail records that {string} was denied the tool {string} of a server not visible to them', function (this: SwitchboardWorld, user: string, tool: string) {
  const events = auditEvents(this);
  const denied = events.filter((e) => e.action === 'access' && e.outcome === 'denied' && e.user === user);
  const event = denied.find((e) => e.resourceType === 'tool' && e.resourceId === tool);
  assert.ok(event, `no denial of ${tool} for ${user}: ${JSON.stringify(events)}`);
  assert.equal(event.audit, true);
  assert.ok(!Number.isNaN(Date.parse(event.time)), `no time: ${JSON.stringify(event)}`);
  assert.match(event.reason ?? '', /not visible/);
  // A name nobody has is an unknown name, not a denial.
  assert.ok(!events.some((e) => e.resourceId.includes('nosuch')), JSON.stringify(events));
});
