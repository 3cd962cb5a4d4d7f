import assert from 'node:assert/strict';
import { Given, Then, When } from '@cucumber/cucumber';
import { sendHttp } from '../support/http.js';
import { eventually } from '../support/wait.js';
import type { SwitchboardWorld } from '../support/world.js';

interface Health { healthy: boolean; state: string; lastError?: string; lastCheckedAt?: string; latencyMs?: number }

Given('switchboard checks the health of its servers every {int} ms', function (this: SwitchboardWorld, intervalMs: number) {
  this.config.healthCheck = { intervalMs };
});

Given('the upstream {string} is checked every {int} ms', function (this: SwitchboardWorld, server: string, intervalMs: number) {
  this.upstream(server).settings.healthCheck = { intervalMs };
});

When('the upstream {string} starts answering every request with a server error', function (this: SwitchboardWorld, server: string) {
  this.forgetNotifications();
  this.mock(server).setFailing('http500');
});

When('the upstream {string} answers normally again', function (this: SwitchboardWorld, server: string) {
  this.forgetNotifications();
  this.mock(server).setFailing('none');
});

async function readyzHealth(world: SwitchboardWorld, server: string): Promise<Health | undefined> {
  return (await world.readiness()).servers[server] as Health | undefined;
}

/** Waits until `check` holds for the server's health in /readyz; fails with the last report seen. */
async function soon(world: SwitchboardWorld, server: string, what: string, check: (health: Health) => boolean): Promise<Health> {
  let seen: Health | undefined;
  try {
    await eventually(async () => {
      seen = await readyzHealth(world, server);
      return seen !== undefined && check(seen);
    }, what);
  } catch {
    assert.fail(`/readyz never showed "${server}" ${what}; last: ${JSON.stringify(seen)}`);
  }
  return seen!;
}

Then('switchboard\'s health report soon shows {string} healthy, checked within the last {int} seconds, with its latency', async function (this: SwitchboardWorld, server: string, seconds: number) {
  const health = await soon(this, server, 'healthy and checked', (h) => h.healthy && h.latencyMs !== undefined && h.lastCheckedAt !== undefined && Date.now() - Date.parse(h.lastCheckedAt) < seconds * 1000);
  assert.equal(health.state, 'connected', JSON.stringify(health));
  assert.equal(typeof health.latencyMs, 'number');
  assert.ok(health.latencyMs! >= 0 && health.latencyMs! < 5_000, `latency ${health.latencyMs}`);
});

Then('switchboard\'s health report soon shows {string} unhealthy, with an error that mentions {string}', async function (this: SwitchboardWorld, server: string, words: string) {
  const health = await soon(this, server, `unhealthy with an error mentioning ${words}`, (h) => !h.healthy && (h.lastError ?? '').includes(words));
  assert.ok(['unreachable', 'failed', 'connecting'].includes(health.state), health.state);
  assert.equal(health.latencyMs, undefined, 'an unhealthy server shows no latency');
});

async function metricValue(world: SwitchboardWorld, name: string, server: string): Promise<number | undefined> {
  const text = (await sendHttp(new URL('/metrics', world.url).href)).text;
  const line = text.split('\n').find((l) => l.startsWith(`${name}{server="${server}"}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

Then('the metrics show {string} as {word}', async function (this: SwitchboardWorld, server: string, health: string) {
  const expected = health === 'healthy' ? 1 : 0;
  await eventually(async () => (await metricValue(this, 'switchboard_upstream_healthy', server)) === expected, `switchboard_upstream_healthy{server="${server}"} ${expected}`);
  assert.ok((await metricValue(this, 'switchboard_upstream_health_checked_timestamp_seconds', server))! > Date.now() / 1000 - 60);
  if (expected === 1) assert.ok((await metricValue(this, 'switchboard_upstream_health_check_latency_seconds', server))! >= 0);
});

async function statusHealth(world: SwitchboardWorld, server: string): Promise<Health | undefined> {
  const read = await world.client().client.readResource({ uri: 'auth://status' });
  const first = read.contents[0] as { text?: string };
  return (JSON.parse(String(first.text)) as { servers: { name: string; health?: Health }[] }).servers.find((s) => s.name === server)?.health;
}

Then('the auth status shows {string} as unhealthy, with an error that mentions {string}', async function (this: SwitchboardWorld, server: string, words: string) {
  const health = await statusHealth(this, server);
  assert.equal(health?.healthy, false, JSON.stringify(health));
  assert.ok(health?.lastError?.includes(words), JSON.stringify(health));
  assert.ok(health?.lastCheckedAt, JSON.stringify(health));
});

Then('the auth status shows {string} as healthy', async function (this: SwitchboardWorld, server: string) {
  const health = await statusHealth(this, server);
  assert.equal(health?.healthy, true, JSON.stringify(health));
  assert.equal(health?.state, 'connected');
});

/** Health checks as the upstream sees them: pings (2025-11-25) or server/discover requests (2026-07-28). */
function checksReceived(world: SwitchboardWorld, server: string): number {
  const counts = world.mock(server).requestCounts();
  return (counts.ping ?? 0) + (counts['server/discover'] ?? 0);
}

Then('the upstream {string} is checked at least {int} times within {int} seconds', async function (this: SwitchboardWorld, server: string, times: number, seconds: number) {
  await eventually(async () => (await readyzHealth(this, server))?.state === 'connected', `"${server}" to connect`);
  const before = checksReceived(this, server);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  assert.ok(checksReceived(this, server) - before >= times, `${checksReceived(this, server) - before} checks`);
});

Then('the upstream {string} is checked at most once within {int} seconds', async function (this: SwitchboardWorld, server: string, seconds: number) {
  const before = checksReceived(this, server);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  assert.ok(checksReceived(this, server) - before <= 1, `${checksReceived(this, server) - before} checks`);
});
