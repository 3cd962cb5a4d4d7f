import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestClient } from '../../features/support/client.js';
import { waitUntil } from './support/processes.js';
import { Stack, Traffic } from './support/stack.js';

const LIST_CHANGED = 'notifications/tools/list_changed';

/** Waits for a tools/list_changed after `since`, and the list it then shows. */
async function listChangeAfter(client: TestClient, since: number, what: string): Promise<number> {
  const heard = await waitUntil(() => client.notifications.find((n) => n.method === LIST_CHANGED && n.at > since), what, 30_000);
  return heard.at;
}

describe('An upstream crashes, hangs or answers slowly', { timeout: 300_000 }, () => {
  let stack: Stack;
  let client: TestClient;
  let spare: TestClient;
  let bystander: Traffic;
  before(async () => {
    // Upstream calls time out after 1.5 s; reconnects back off from 100 ms to 1 s.
    stack = await Stack.start({ replicas: 1, redis: false, timeoutMs: 1_500 });
    client = await stack.connect();
    spare = await stack.connect();
    for (const c of [client, spare]) await waitUntil(async () => (await c.toolNames()).includes('weather_echo'), 'weather_echo to be listed');
    // Calls to another server run all along: none of what happens to "weather" may touch them.
    bystander = new Traffic(await stack.connect(), 'news_echo', 20);
  });
  after(async () => {
    await bystander?.stop();
    await stack?.close();
  });

  it('a crashed server disappears with list_changed, calls to it fail naming it, and it comes back with list_changed', async (t) => {
    const killedAt = performance.now();
    await stack.weather.kill();
    const goneAt = await listChangeAfter(client, killedAt, 'list_changed after weather crashed');
    assert.ok(!(await client.toolNames()).some((name) => name.startsWith('weather_')), 'the crashed server\'s tools are still listed');
    await client.call('weather_echo', { text: 'hello' });
    assert.equal(client.lastResult?.isError, true);
    assert.match(client.resultText(), /weather/);

    const restartedAt = performance.now();
    await stack.weather.restart();
    const upAt = performance.now();
    const backAt = await listChangeAfter(client, upAt, 'list_changed after weather came back');
    await waitUntil(async () => (await client.toolNames()).includes('weather_echo'), 'weather_echo to be listed again');
    await client.call('weather_echo', { text: 'again' });
    assert.equal(client.resultText(), 'again');
    t.diagnostic(`crash noticed (list_changed) ${(goneAt - killedAt).toFixed(0)} ms after SIGKILL; back ${(backAt - upAt).toFixed(0)} ms after the server was up again (restart took ${(upAt - restartedAt).toFixed(0)} ms)`);
  });

  it('a hung server times its calls out with a clear error while the others answer as before, and recovers', async (t) => {
    stack.weather.pause();
    const hungAt = performance.now();
    const started = performance.now();
    await client.call('weather_echo', { text: 'anyone?' });
    const timedOutMs = performance.now() - started;
    assert.equal(client.lastResult?.isError, true, JSON.stringify(client.lastResult ?? client.lastError?.message));
    assert.match(client.resultText(), /weather/);
    assert.match(client.resultText(), /did not answer within 1500 ms/);
    assert.ok(timedOutMs >= 1_400 && timedOutMs < 5_000, `the call to the hung server ended after ${timedOutMs.toFixed(0)} ms`);
    await sleep(1_000);
    const hungUntil = performance.now();
    stack.weather.resume();
    await waitUntil(async () => {
      await client.call('weather_echo', { text: 'back' });
      return client.lastResult?.isError !== true && client.resultText() === 'back';
    }, 'weather to answer after it resumed');
    const recoveredMs = performance.now() - hungUntil;
    const during = bystander.between(hungAt, hungUntil);
    assert.ok(during.length > 5, `only ${during.length} calls to news ran while weather hung`);
    assert.deepEqual(during.filter((o) => !o.ok).map((o) => o.detail), []);
    const p50 = [...during.map((o) => o.ms)].sort((a, b) => a - b)[Math.floor(during.length / 2)]!;
    t.diagnostic(`hung call ended after ${timedOutMs.toFixed(0)} ms (timeout 1500 ms); recovered ${recoveredMs.toFixed(0)} ms after SIGCONT; news: ${during.length} calls meanwhile, p50 ${p50.toFixed(1)} ms`);
  });

  it('a slow answer within the timeout arrives, a slower one times out, and neither holds up the others', async (t) => {
    // Both sessions reach the server again after the hang above (their own reconnects are not this test's subject).
    for (const c of [client, spare]) await waitUntil(async () => (await c.toolNames()).includes('weather_echo'), 'weather_echo to be listed');
    const started = performance.now();
    const [quick, tooSlow] = await Promise.all([
      (async () => {
        await client.call('weather_slow', { ms: 500 });
        return client.lastResult;
      })(),
      (async () => {
        await spare.call('weather_slow', { ms: 4_000 });
        return { result: spare.lastResult, ms: performance.now() - started };
      })(),
    ]);
    assert.notEqual(quick?.isError, true, JSON.stringify(quick));
    assert.equal(tooSlow.result?.isError, true);
    assert.match(JSON.stringify(tooSlow.result?.content), /server \\"weather\\" did not answer within 1500 ms/);
    assert.ok(tooSlow.ms >= 1_400 && tooSlow.ms < 4_000, `the slow call was not cut at the timeout (${tooSlow.ms.toFixed(0)} ms)`);
    const during = bystander.between(started, performance.now());
    assert.deepEqual(during.filter((o) => !o.ok).map((o) => o.detail), []);
    t.diagnostic(`slow call cut after ${tooSlow.ms.toFixed(0)} ms; ${during.length} calls to news meanwhile, none failed`);
    // Over the whole test, not one call to the other server failed.
    assert.deepEqual(bystander.failures().map((f) => f.detail), []);
  });
});
