import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { TestClient } from '../../features/support/client.js';
import { freePort, startMockMcp, waitUntil, type RunningProcess } from './support/processes.js';
import { Stack } from './support/stack.js';

const SECRET_HEADER = 'Bearer notes-api-key-kept-sealed';

describe('Servers added through the admin API are shared by replicas and outlive a restart', { timeout: 300_000 }, () => {
  let stack: Stack;
  let notes: RunningProcess;
  let notesUrl: string;
  before(async () => {
    stack = await Stack.start({ replicas: 2, redisLinks: true });
    const port = await freePort();
    notes = await startMockMcp('notes', port);
    notesUrl = `http://127.0.0.1:${port}/mcp`;
  });
  after(async () => {
    await stack?.close();
    await notes?.stop();
  });

  /** The admin API of one replica (no front door: the replicas listen on loopback). */
  async function admin(replica: number, method: string, path = '', body?: unknown): Promise<{ status: number; text: string }> {
    const answer = await fetch(`${stack.replicaOrigin(replica)}/admin/servers${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    return { status: answer.status, text: await answer.text() };
  }

  /** A client of one replica that has listed its tools once (list_changed follows a first listing). */
  async function listedClientOf(replica: number): Promise<TestClient> {
    const client = await stack.connect('legacy', `${stack.replicaOrigin(replica)}/mcp`);
    await client.toolNames();
    client.forgetNotifications();
    return client;
  }

  const heardListChanged = (client: TestClient) => client.notifications.find((n) => n.method === 'notifications/tools/list_changed');

  it('create on one replica: the other lists its tools and its client hears list_changed; Redis holds no secret in clear', async (t) => {
    const onB = await listedClientOf(1);
    assert.ok(!(await onB.toolNames()).includes('notes_echo'));
    const created = await admin(0, 'POST', '', { name: 'notes', url: notesUrl, headers: { Authorization: SECRET_HEADER } });
    assert.equal(created.status, 201, created.text);
    const createdAt = performance.now();
    const heard = await waitUntil(() => heardListChanged(onB), 'list_changed on replica 2');
    await waitUntil(async () => (await onB.toolNames()).includes('notes_echo'), 'notes_echo on replica 2');
    await onB.call('notes_echo', { text: 'from replica 2' });
    assert.equal(onB.lastResult?.content[0]?.type === 'text' ? onB.lastResult.content[0].text : undefined, 'from replica 2');

    const shown = await admin(1, 'GET', '/notes');
    assert.equal(shown.status, 200, shown.text);
    assert.deepEqual((JSON.parse(shown.text) as { source: string; headers: Record<string, string> }).headers, { Authorization: '***' });
    assert.equal((JSON.parse(shown.text) as { source: string }).source, 'api');

    const raw = new Redis(stack.redis!.url);
    const sealed = await raw.hget('switchboard:v1:servers', 'notes');
    const everything = JSON.stringify(await raw.hgetall('switchboard:v1:servers'));
    await raw.quit();
    assert.ok(sealed, 'the server is stored under switchboard:v1:servers');
    assert.ok(!everything.includes('notes-api-key-kept-sealed') && !everything.includes(notesUrl), 'the stored server is sealed');
    t.diagnostic(`created on replica 1 -> list_changed of a session on replica 2 after ${Math.max(0, heard.at - createdAt).toFixed(0)} ms`);
  });

  it('a replica that restarts serves the stored server again', async () => {
    await stack.replicas[0]!.restart();
    await waitUntil(async () => (await stack.readiness(0)).body.ready, 'replica 1 to be ready again');
    assert.equal((await admin(0, 'GET', '/notes')).status, 200);
    const onA = await stack.connect('legacy', `${stack.replicaOrigin(0)}/mcp`);
    await waitUntil(async () => (await onA.toolNames()).includes('notes_echo'), 'notes_echo on the restarted replica 1');
  });

  it('delete on the other replica: the first drops it, and its client hears list_changed', async (t) => {
    const onA = await listedClientOf(0);
    assert.ok((await onA.toolNames()).includes('notes_echo'));
    const deleted = await admin(1, 'DELETE', '/notes');
    assert.equal(deleted.status, 204, deleted.text);
    const deletedAt = performance.now();
    const heard = await waitUntil(() => heardListChanged(onA), 'list_changed on replica 1');
    await waitUntil(async () => !(await onA.toolNames()).includes('notes_echo'), 'notes_echo gone on replica 1');
    assert.equal((await admin(0, 'GET', '/notes')).status, 404);
    const raw = new Redis(stack.redis!.url);
    assert.equal(await raw.hexists('switchboard:v1:servers', 'notes'), 0);
    await raw.quit();
    t.diagnostic(`deleted on replica 2 -> list_changed of a session on replica 1 after ${Math.max(0, heard.at - deletedAt).toFixed(0)} ms`);
  });

  it('a replica cut off from Redis while a server is added serves it once it is back, and its client hears list_changed', async (t) => {
    const onB = await listedClientOf(1);
    stack.links[1]!.cut();
    await waitUntil(async () => !(await stack.readiness(1)).body.ready, 'replica 2 to see that Redis is out of reach');
    const created = await admin(0, 'POST', '', { name: 'notes', url: notesUrl });
    assert.equal(created.status, 201, created.text);
    // The announcement was published while replica 2 could not hear it.
    assert.ok(!(await onB.toolNames()).includes('notes_echo'));
    assert.equal(heardListChanged(onB), undefined);
    stack.links[1]!.restore();
    const restoredAt = performance.now();
    const heard = await waitUntil(() => heardListChanged(onB), 'list_changed on replica 2 after Redis came back');
    await waitUntil(async () => (await onB.toolNames()).includes('notes_echo'), 'notes_echo on replica 2');
    t.diagnostic(`link to Redis restored -> list_changed of a session on replica 2 after ${Math.max(0, heard.at - restoredAt).toFixed(0)} ms (ioredis reconnects with backoff)`);
    assert.equal((await admin(0, 'DELETE', '/notes')).status, 204);
  });
});
