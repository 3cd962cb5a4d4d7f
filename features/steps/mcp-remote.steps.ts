import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Then, When } from '@cucumber/cucumber';
import { auth } from '../support/auth.js';
import { frontDoor } from '../support/front-door.js';
import { launchMcpRemote } from '../support/mcp-remote.js';
import type { SwitchboardWorld } from '../support/world.js';

When('{string} adds switchboard to Claude Desktop through mcp-remote and signs in at {string}', async function (this: SwitchboardWorld, user: string, idp: string) {
  auth(this).authServer(idp).setUser(user);
  const { client, browserLog } = await launchMcpRemote(this);
  this.clients.set(user, client);
  this.childEnv.BROWSER_LOG = browserLog;
});

Then('the browser opened the sign-in page of {string} and came back to mcp-remote', async function (this: SwitchboardWorld, idp: string) {
  const log = await readFile(this.childEnv.BROWSER_LOG!, 'utf8');
  assert.ok(log.includes(`open ${auth(this).authServer(idp).endpoints.authorization}`), log);
  assert.ok(log.includes('callback HTTP 200'), log);
});

Then('{string} registered mcp-remote itself and issued it a token for switchboard, with PKCE', function (this: SwitchboardWorld, idp: string) {
  const seen = auth(this).authServer(idp).inspect();
  const registration = seen.registrations.find((r) => r.outcome === 'registered');
  assert.ok(registration, 'mcp-remote did not register itself');
  const exchange = seen.tokenRequests.find((r) => r.grantType === 'authorization_code' && r.outcome === 'issued');
  assert.ok(exchange?.params.code_verifier, 'no PKCE verifier in the code exchange');
  assert.equal(exchange.clientId, registration.clientId);
  const token = seen.tokens.find((t) => t.grantType === 'authorization_code');
  assert.equal(token?.aud, this.url, 'the token is not for switchboard');
  assert.equal(frontDoor(this).idp, idp);
});

Then('{string} never received the token mcp-remote presented to switchboard', function (this: SwitchboardWorld, server: string) {
  const issued = auth(this).authServer(frontDoor(this).idp!).inspect().tokens.filter((t) => t.grantType === 'authorization_code').map((t) => t.token);
  assert.ok(issued.length > 0, 'mcp-remote got no token');
  const headers = this.mock(server).authorizationHeaders();
  assert.deepEqual(headers.filter((header) => issued.some((token) => header.includes(token))), []);
});
