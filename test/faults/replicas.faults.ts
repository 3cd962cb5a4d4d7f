import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { principalKey, sessionPrincipal } from '../../src/principal/index.js';
import { waitUntil } from './support/processes.js';
import { Stack, Traffic } from './support/stack.js';

/** How many sign-ins the callback-to-list_changed measurement times. */
const ROUNDS = 10;

interface Phases {
  total: number;
  afterAnswer: number;
  signedIn: number;
  heard: number;
  connected: number;
  toClient: number;
}

const PHASES: [keyof Phases, string][] = [
  ['total', 'callback sent -> list_changed at the client'],
  ['afterAnswer', 'callback page answered -> list_changed'],
  ['signedIn', '  callback sent -> code exchanged and stored (replica 1)'],
  ['heard', '  -> replica 2 heard the sign-in (pub/sub)'],
  ['connected', '  -> the server connected on replica 2 (initialize, listings)'],
  ['toClient', '  -> list_changed at the client'],
];

/** When a switchboard log line with this message was written (pino's epoch-ms `time`). */
function logTime(lines: string[], msg: string): number {
  for (const line of lines) {
    if (!line.includes(`"msg":"${msg}"`)) continue;
    return (JSON.parse(line) as { time: number }).time;
  }
  return Number.NaN;
}

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `${at(0).toFixed(0)} / ${at(0.5).toFixed(0)} / ${at(1).toFixed(0)}`;
}

/** Which replica holds a legacy session: its id names it (SWITCHBOARD_REPLICA_ID). */
function replicaOf(sessionId: string | undefined): number {
  const index = Number(/^r(\d+)\./.exec(sessionId ?? '')?.[1]) - 1;
  assert.ok(index >= 0, `session id ${sessionId} names no replica`);
  return index;
}

describe('Replicas behind a load balancer lose one', { timeout: 300_000 }, () => {
  let stack: Stack;
  before(async () => {
    stack = await Stack.start({ replicas: 2 });
  });
  after(() => stack?.close());

  /** Legacy clients through the balancer until one lands on each replica. */
  async function clientOn(replica: number) {
    for (let i = 0; i < 6; i++) {
      const client = await stack.connect();
      if (replicaOf(client.sessionId) === replica) return client;
    }
    throw new Error(`no session landed on replica ${replica + 1}`);
  }

  async function revive(replica: number): Promise<void> {
    await stack.replicas[replica]!.restart();
    await waitUntil(async () => (await stack.readiness(replica)).body.ready, `replica ${replica + 1} to be ready again`);
  }

  it('a callback that lands on the other replica reaches the session there at once (time to list_changed)', async (t) => {
    const runs: Phases[] = [];
    let probed = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const client = await clientOn(1);
      const callback = new URL(await stack.approve(await stack.signInUrl(client)));
      client.forgetNotifications();
      const logsFrom = stack.replicas.map((r) => r.lines.length);
      // The balancer sent the browser to replica 1; the session lives on replica 2.
      const calledAt = Date.now();
      const answer = await stack.openCallback(`${stack.replicaOrigin(0)}${callback.pathname}${callback.search}`);
      assert.equal(answer.status, 200, answer.text);
      const answeredAt = Date.now();
      const heard = await waitUntil(() => client.notifications.find((n) => n.method === 'notifications/tools/list_changed'), 'list_changed on replica 2');
      const heardAt = Date.now() - (performance.now() - heard.at);
      assert.ok((await client.toolNames()).includes('jira_whoami'));
      const logged = (replica: number, msg: string) => logTime(stack.replicas[replica]!.lines.slice(logsFrom[replica]), msg);
      const connectedLine = stack.replicas[1]!.lines.slice(logsFrom[1]).find((line) => line.includes('"msg":"upstream connected"'));
      if (connectedLine?.includes('"verdict":"probed"')) probed++;
      runs.push({
        total: heardAt - calledAt,
        afterAnswer: heardAt - answeredAt,
        signedIn: logged(0, 'sign-in completed') - calledAt,
        heard: logged(1, 'signed in; connecting the servers behind this issuer') - logged(0, 'sign-in completed'),
        connected: logged(1, 'upstream connected') - logged(1, 'signed in; connecting the servers behind this issuer'),
        toClient: heardAt - logged(1, 'upstream connected'),
      });
      await client.endSession();
    }
    // A measurement, not an assertion (issue 9's 200 ms target): min / median / max of each phase.
    t.diagnostic(`callback on replica 1 -> list_changed of the session on replica 2, ${ROUNDS} runs, min/median/max ms:`);
    for (const [phase, label] of PHASES) t.diagnostic(`  ${label}: ${summary(runs.map((r) => r[phase]))}`);
    t.diagnostic(`  the server's era was probed again on ${probed} of ${ROUNDS} connects (else the cached verdict served)`);
  });

  it('a replica killed mid-sign-in: the callback completes on the survivor, and a session living there gets its tools', async (t) => {
    const survivor = await clientOn(1);
    const doomed = await clientOn(0);
    const survivorCallback = await stack.approve(await stack.signInUrl(survivor));
    const doomedCallback = await stack.approve(await stack.signInUrl(doomed));
    const modern = await stack.connect('modern');
    const modernCallback = await stack.approve(await stack.signInUrl(modern));

    await stack.replicas[0]!.kill();
    const killedAt = performance.now();
    // The browsers come back through the balancer; replica 1 refuses, replica 2 takes every callback.
    const answers = [await stack.openCallback(survivorCallback), await stack.openCallback(doomedCallback), await stack.openCallback(modernCallback)];
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200], answers.map((a) => a.text).join(' | '));
    await waitUntil(async () => (await survivor.toolNames()).includes('jira_whoami'), 'the surviving session to get the tools of its sign-in');
    const toolsAfterMs = performance.now() - killedAt;
    // The local user's sign-in serves the modern client wherever its next request lands.
    await waitUntil(async () => (await modern.toolNames()).includes('jira_whoami'), 'the modern client to get jira_whoami');

    // The session on the killed replica is gone; its sign-in is stored but expires by itself (it never ended cleanly).
    const redis = new Redis(stack.redis!.url);
    const key = (await redis.keys('*')).find((k) => decodeURIComponent(k).includes(principalKey(sessionPrincipal(doomed.sessionId!))));
    const ttl = key ? await redis.pttl(key) : -2;
    redis.disconnect();
    assert.ok(ttl > 0, `the dead session's sign-in does not expire (pttl ${ttl})`);
    await doomed.call('jira_whoami');
    assert.ok(doomed.lastError ?? doomed.lastResult?.isError, 'the dead replica\'s session still answered');
    t.diagnostic(`3 callbacks after replica 1 was killed: all 200 on replica 2; the surviving session had its tools ${toolsAfterMs.toFixed(0)} ms after the kill; the dead session's grant expires in ${(ttl / 60_000).toFixed(1)} min`);
    await revive(0);
  });

  it('a replica killed while 2026-07-28 clients are calling: their next requests succeed on the other replica', async (t) => {
    const clients = await Promise.all(Array.from({ length: 4 }, () => stack.connect('modern')));
    for (const client of clients) await waitUntil(async () => (await client.toolNames()).includes('weather_echo'), 'weather_echo for a modern client');
    const traffic = clients.map((client) => new Traffic(client, 'weather_echo', 10));
    await sleep(2_000);
    const servedBefore = new Map(stack.balancer.served);
    const killedAt = performance.now();
    await stack.replicas[0]!.kill();
    const deadAt = performance.now();
    await sleep(3_000);
    await Promise.all(traffic.map((tr) => tr.stop()));

    let failedInAll = 0;
    const firstSuccess: number[] = [];
    for (const tr of traffic) {
      const after = tr.outcomes.filter((o) => o.at >= killedAt);
      failedInAll += after.filter((o) => !o.ok).length;
      // Calls in flight while the replica died may fail; every call started once it was gone succeeds.
      for (const o of after) if (!o.ok) assert.ok(o.at - o.ms <= deadAt, `a call that started after the replica was gone failed: ${o.detail}`);
      const success = after.find((o) => o.ok);
      assert.ok(success, 'a client never succeeded again after the kill');
      firstSuccess.push(success.at - killedAt);
      assert.ok(after.length > 10, `a client made only ${after.length} calls after the kill`);
    }
    assert.ok((servedBefore.get('r1') ?? 0) > 0 && (servedBefore.get('r2') ?? 0) > 0, 'both replicas served before the kill');
    const failover = Math.max(...firstSuccess);
    const calls = traffic.reduce((n, tr) => n + tr.outcomes.length, 0);
    t.diagnostic(`failover: every client had a successful call ${failover.toFixed(0)} ms after the kill at most (per client ${firstSuccess.map((ms) => ms.toFixed(0)).join(', ')} ms); ${failedInAll} of ${calls} calls failed, all started before the replica was gone`);
    await revive(0);
  });
});
