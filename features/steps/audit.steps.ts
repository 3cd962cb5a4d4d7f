import assert from 'node:assert/strict';
import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import { auth } from '../support/auth.js';
import { auditEvents } from '../support/audit.js';
import { frontDoor } from '../support/front-door.js';
import { initializeBody, MCP_POST_HEADERS } from '../support/http.js';
import { eventually } from '../support/wait.js';
import type { SwitchboardWorld } from '../support/world.js';

Given('switchboard is protected by {string}, requiring the scope {string}', function (this: SwitchboardWorld, idp: string, scope: string) {
  frontDoor(this).idp = idp;
  this.config.inboundAuth = { issuer: auth(this).authServer(idp).issuer, requiredScopes: [scope] };
});

When('{client} starts signing in to {string}, and the user refuses in the browser', async function (this: SwitchboardWorld, client: string, server: string) {
  const session = this.client(client);
  await session.toolNames();
  await session.call(`authenticate_${server}`, {});
  const url = (session.lastResult?.structuredContent as { authorizationUrl?: string } | undefined)?.authorizationUrl;
  assert.ok(url, `no sign-in URL: ${JSON.stringify(session.lastResult ?? session.lastError?.message)}`);
  const issuer = [...auth(this).authServers.values()].find((s) => url.startsWith(s.url));
  assert.ok(issuer, `no authorization server of the scenario at ${url}`);
  // RFC 6749 section 4.1.2.1: the authorization server redirects back with error=access_denied.
  issuer.failNext('authorize', { status: 302, error: 'access_denied', description: 'the user said no' });
  const outcome = await auth(this).approve(url);
  assert.equal(outcome.status, 400, outcome.text);
});

When('an initialize request arrives with a token of {string} without the scope {string}', async function (this: SwitchboardWorld, user: string, _scope: string) {
  const token = await frontDoor(this).tokenFor(user, 'other');
  frontDoor(this).tokens.set(`raw:${user}`, token);
  await this.sendToSwitchboard('/mcp', { method: 'POST', headers: { ...MCP_POST_HEADERS, authorization: `Bearer ${token}` }, body: initializeBody() });
});

Then('it is refused for want of the scope {string}', function (this: SwitchboardWorld, scope: string) {
  const answer = this.lastAnswer!;
  assert.equal(answer.status, 403, answer.text);
  assert.match(String(answer.headers['www-authenticate']), new RegExp(`error="insufficient_scope".*scope="${scope}"`));
});

/** `the session's id` in a table stands for the id of the scenario's one session. */
function expectedResource(world: SwitchboardWorld, written: string): string {
  if (written !== 'the session\'s id') return written;
  const id = [...world.clients.values()].find((c) => c.openedSessionId)?.openedSessionId;
  assert.ok(id, 'no session in this scenario');
  return id;
}

Then('the audit trail holds, in this order:', async function (this: SwitchboardWorld, table: DataTable) {
  const events = auditEvents(this);
  const rows = table.hashes();
  const seen = events.map((e) => ({ user: e.user, action: e.action, 'resource type': e.resourceType, resource: e.resourceId, outcome: e.outcome }));
  const expected = rows.map((row) => ({ user: row.user!, action: row.action!, 'resource type': row['resource type']!, resource: expectedResource(this, row.resource!), outcome: row.outcome! }));
  assert.deepEqual(seen, expected, JSON.stringify(events, null, 1));
  rows.forEach((row, index) => {
    const event = events[index]!;
    assert.equal(event.audit, true);
    assert.ok(Math.abs(Date.parse(event.time) - Date.now()) < 120_000, `no time of the event: ${JSON.stringify(event)}`);
    if (row.reason) assert.ok(event.reason?.includes(row.reason), `the reason "${event.reason}" does not mention "${row.reason}"`);
    else if (event.outcome === 'success') assert.equal(event.reason, undefined);
  });
});

Then('every audit event names the authorization server {string}', function (this: SwitchboardWorld, issuer: string) {
  for (const event of auditEvents(this)) assert.equal(event.issuer, auth(this).authServer(issuer).issuer, JSON.stringify(event));
});

Then('the audit trail holds none of the tokens, codes and verifiers exchanged with {string}, nor the users\' own tokens', function (this: SwitchboardWorld, issuer: string) {
  const secrets = auth(this).secretsSeenBy(issuer);
  for (const [client, token] of frontDoor(this).tokens) secrets.set(token, `the token of client ${client}`);
  assert.ok([...secrets.values()].some((what) => what.startsWith('refresh token')), 'the scenario issued no refresh token');
  assert.ok([...secrets.values()].some((what) => what === 'authorization code'), 'the scenario exchanged no code');
  assert.ok(this.auditLines.length > 0, 'switchboard recorded no audit event');
  const leaks = [...secrets].filter(([value]) => this.auditLines.some((line) => line.includes(value))).map(([, what]) => what);
  assert.deepEqual(leaks, []);
});

Then('no audit event holds {string}', function (this: SwitchboardWorld, secret: string) {
  assert.ok(this.auditLines.length > 0, 'switchboard recorded no audit event');
  assert.deepEqual(this.auditLines.filter((line) => line.includes(secret)), []);
});

Then('the audit trail records a reload of the configuration file that added {string}', async function (this: SwitchboardWorld, server: string) {
  await eventually(() => auditEvents(this).some((e) => e.action === 'config.reload' && e.outcome === 'success' && e.resourceType === 'config' && (e.reason ?? '').includes(`added: ${server}`)), 'the reload in the audit trail');
  for (const event of auditEvents(this).filter((e) => e.action === 'config.reload')) assert.equal(event.user, 'system:config-file');
});

Then('the audit trail records a refused reload of the configuration file, naming {string}', async function (this: SwitchboardWorld, words: string) {
  await eventually(() => auditEvents(this).some((e) => e.action === 'config.reload' && e.outcome === 'failure' && (e.reason ?? '').includes(words)), 'the refused reload in the audit trail');
});
