import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { sessionPrincipal } from '../../src/principal/index.js';
import { createTokenStore } from '../../src/store/index.js';
import { waitUntil } from './support/processes.js';
import { SECRET, Stack } from './support/stack.js';

interface Counts { authorizationRequests: number; refreshGrants: number }

describe('The authorization server is down during a refresh', { timeout: 240_000 }, () => {
  let stack: Stack;
  before(async () => {
    // Access tokens last 8 s: switchboard refreshes them in their last quarter (from 6 s on).
    stack = await Stack.start({ replicas: 1, authServerArgs: ['--ttl', '8'] });
  });
  after(() => stack?.close());

  it('keeps the token, says what is wrong, and refreshes once the authorization server answers again', async (t) => {
    const client = await stack.connect();
    await stack.signIn(client);
    const signedInAt = performance.now();
    const atSignIn = (await stack.authServerApi('counts')) as Counts;
    // The authorization server's token endpoint is down for refreshes, as behind a load balancer with no live node.
    await stack.authServerApi('fail-next', { endpoint: 'refresh', failure: { status: 503, error: 'temporarily_unavailable', description: 'down' }, times: 10_000 });

    // In the token's last quarter: the refresh fails, and the token that still works is used.
    await sleep(Math.max(0, signedInAt + 6_500 - performance.now()));
    await client.call('jira_whoami');
    assert.notEqual(client.lastResult?.isError, true, `a still-valid token was not used: ${JSON.stringify(client.lastResult ?? client.lastError?.message)}`);
    const tried = (await stack.authServerApi('counts')) as Counts;
    assert.ok(tried.refreshGrants > atSignIn.refreshGrants, 'switchboard did not try to refresh in the token\'s last quarter');

    // Expired, and no refresh possible: the call fails with an error that names the server and what failed.
    await sleep(Math.max(0, signedInAt + 9_000 - performance.now()));
    await client.call('jira_whoami');
    assert.equal(client.lastResult?.isError, true, JSON.stringify(client.lastResult ?? client.lastError?.message));
    const failure = client.resultText();
    assert.match(failure, /jira/);
    assert.match(failure, /token endpoint/);
    assert.match(failure, /503/);
    assert.doesNotMatch(failure, /authenticate_jira/, 'a passing outage must not ask the person to sign in again');

    // The sign-in is kept: its refresh token is still in the store.
    const reader = createTokenStore({ url: stack.redis!.url, secret: SECRET, logger: pino({ level: 'silent' }) });
    await reader.ping();
    assert.ok((await reader.getGrant(sessionPrincipal(client.sessionId!), stack.issuer))?.refreshToken, 'the sign-in was dropped');
    await reader.close();

    const backAt = performance.now();
    await stack.authServerApi('clear-failures', { endpoint: 'refresh' });
    await waitUntil(async () => {
      await client.call('jira_whoami');
      return client.lastResult?.isError !== true;
    }, 'jira_whoami to work again after the authorization server came back');
    const recoveredMs = performance.now() - backAt;
    const end = (await stack.authServerApi('counts')) as Counts;
    assert.equal(end.authorizationRequests, atSignIn.authorizationRequests, 'the person was asked to sign in again');
    t.diagnostic(`refresh attempts while down: ${tried.refreshGrants - atSignIn.refreshGrants} by 6.5 s, ${end.refreshGrants - atSignIn.refreshGrants} in all; working again ${recoveredMs.toFixed(0)} ms after the authorization server answered; the failing call said: ${failure.slice(0, 160)}`);
  });
});
