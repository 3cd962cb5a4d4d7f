import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { sessionPrincipal } from '../../src/principal/index.js';
import { createTokenStore } from '../../src/store/index.js';
import { waitUntil } from './support/processes.js';
import { SECRET, Stack, Traffic } from './support/stack.js';

describe('Redis restarts during traffic', { timeout: 240_000 }, () => {
  let stack: Stack;
  before(async () => {
    stack = await Stack.start({ replicas: 1 });
  });
  after(() => stack?.close());

  it('fails fast and says so while Redis is down, keeps serving what needs no Redis, and recovers without a restart', async (t) => {
    // Before the outage: one client signed in, one half-way through its sign-in (the browser has not come back yet).
    const signedIn = await stack.connect();
    await stack.signIn(signedIn);
    const waiting = await stack.connect();
    const pendingCallback = await stack.approve(await stack.signInUrl(waiting));
    const publicTraffic = new Traffic(await stack.connect(), 'weather_echo');
    const signedInTraffic = new Traffic(signedIn, 'jira_whoami');
    await sleep(1_000);

    const downAt = performance.now();
    await stack.redis!.halt({ keepData: true });

    // Readiness says so, and the store stays Redis: nothing falls back to memory.
    const unready = await waitUntil(async () => {
      const readiness = await stack.readiness();
      return readiness.body.ready ? undefined : readiness;
    }, '/readyz to report not ready');
    assert.equal(unready.status, 503);
    assert.equal(unready.body.store?.kind, 'redis');
    assert.match(unready.body.store?.error ?? '', /Redis is not reachable/);
    const unreadyAfterMs = performance.now() - downAt;

    // A sign-in that needs Redis fails at once with a clear error.
    const newcomer = await stack.connect();
    await newcomer.toolNames();
    const askedAt = performance.now();
    await newcomer.call('authenticate_jira');
    const refusalMs = performance.now() - askedAt;
    assert.equal(newcomer.lastResult?.isError, true);
    assert.match(newcomer.resultText(), /Redis is not reachable/);
    assert.ok(refusalMs < 3_000, `the sign-in was refused after ${refusalMs.toFixed(0)} ms`);

    // The browser coming back now is asked to try again in a moment; the same link works later.
    const early = await stack.openCallback(pendingCallback);
    assert.equal(early.status, 503, early.text);
    assert.match(early.text, /try again in a moment/i);
    assert.ok(early.ms < 3_000, `the callback was answered after ${early.ms.toFixed(0)} ms`);
    await sleep(2_000);

    const upAt = performance.now();
    await stack.redis!.restart({ keepData: true });
    await waitUntil(async () => (await stack.readiness()).body.ready, '/readyz to report ready again');
    const readyAfterMs = performance.now() - upAt;

    const late = await stack.openCallback(pendingCallback);
    assert.equal(late.status, 200, late.text);
    await waitUntil(async () => (await waiting.toolNames()).includes('jira_whoami'), 'the waiting client to get the tools of its sign-in');
    await sleep(1_000);
    await Promise.all([publicTraffic.stop(), signedInTraffic.stop()]);

    // With persistence on, no sign-in was lost: the first client's grant is still there, refresh token and all.
    const reader = createTokenStore({ url: stack.redis!.url, secret: SECRET, logger: pino({ level: 'silent' }) });
    await reader.ping();
    const grant = await reader.getGrant(sessionPrincipal(signedIn.sessionId!), stack.issuer);
    await reader.close();
    assert.ok(grant?.refreshToken, 'the sign-in made before the outage is gone');

    // Calls that need no Redis were not disturbed: a public server, and a signed-in one whose token is valid.
    assert.deepEqual(publicTraffic.failures().map((f) => f.detail), []);
    assert.deepEqual(signedInTraffic.failures().map((f) => f.detail), []);
    const during = publicTraffic.between(downAt, upAt);
    assert.ok(during.length > 10, `only ${during.length} calls ran during the outage`);
    t.diagnostic(`outage ${(upAt - downAt).toFixed(0)} ms; /readyz unready after ${unreadyAfterMs.toFixed(0)} ms, ready ${readyAfterMs.toFixed(0)} ms after Redis returned`);
    t.diagnostic(`sign-in refused in ${refusalMs.toFixed(0)} ms, callback answered 503 in ${early.ms.toFixed(0)} ms; ${during.length} public calls during the outage, ${publicTraffic.outcomes.length + signedInTraffic.outcomes.length} calls in all, 0 failed`);
  });
});
