import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport, type FetchLike } from '@modelcontextprotocol/client';
import { startMockAuthServer, type MockAuthServer } from '../../mock-servers/oauth/index.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { freePort, RunningProcess, scratchDir, startMockMcp, startSwitchboard, waitUntil } from './support/processes.js';
import { SECRET } from './support/stack.js';

const MODERN = '2026-07-28';
const SAMPLING = { sampling: {} };
/** The front door's audience, the same on both replicas (as behind one load balancer). */
const AUDIENCE = 'switchboard-input-rounds';
const ANSWER = { role: 'assistant', model: 'm', content: { type: 'text', text: 'blue' } };

interface Message {
  result?: { resultType?: string; content?: { text?: string }[]; inputRequests?: Record<string, { method: string }>; requestState?: string };
  error?: { code: number; message: string; data?: { reason?: string } };
}

/**
 * 2026-07-28 input rounds (basic/patterns/mrtr) across two replicas on one redis-server, each behind the front door:
 * the first round on one replica, the retry on the other. A 2026 upstream's round lives in the requestState alone; a
 * 2025 upstream's call waits on the replica holding its connection, and the other forwards the retry there.
 */
describe('Input rounds of 2026-07-28 calls need no affinity between replicas', { timeout: 300_000 }, () => {
  let redis: RedisServer;
  let idp: MockAuthServer;
  let files: Awaited<ReturnType<typeof scratchDir>>;
  const replicas: RunningProcess[] = [];
  const upstreams: RunningProcess[] = [];
  const origins: string[] = [];
  let alice: string;
  let bob: string;

  before(async () => {
    files = await scratchDir();
    redis = await startRedis();
    idp = await startMockAuthServer();
    const [modernPort, legacyPort, ...replicaPorts] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    upstreams.push(
      await startMockMcp('now', modernPort!, 'modern', 'sample,elicit'),
      await startMockMcp('then', legacyPort!, 'legacy', 'sample,elicit'),
    );
    const config = await files.write('switchboard.json', {
      mcpServers: { now: { url: `http://127.0.0.1:${modernPort}/mcp` }, then: { url: `http://127.0.0.1:${legacyPort}/mcp` } },
      inboundAuth: { issuer: idp.issuer, audience: AUDIENCE },
      sessions: { firstListWaitMs: 10_000 },
    });
    for (const [i, port] of replicaPorts.entries()) {
      replicas.push(await startSwitchboard(`switchboard r${i + 1}`, { port, configFile: config, storeUrl: redis.url, secret: SECRET, replicaId: `r${i + 1}` }));
      origins.push(`http://127.0.0.1:${port}`);
    }
    alice = (await idp.mintAccessToken({ sub: 'alice', resource: AUDIENCE })).token;
    bob = (await idp.mintAccessToken({ sub: 'bob', resource: AUDIENCE })).token;
  });

  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await Promise.all(upstreams.map((u) => u.stop()));
    await idp?.close();
    await redis?.stop();
    await files?.remove();
  });

  /**
   * An SDK v2 client pinned to 2026-07-28 that samples and elicits, answering input rounds by itself. Its requests go
   * to replica 1, the retries (a request carrying a requestState) to replica 2: what a load balancer may do.
   */
  async function splitClient(token: string) {
    const sent: { replica: number; retry: boolean; method: string }[] = [];
    const split: FetchLike = async (url, init) => {
      const body = typeof init?.body === 'string' ? JSON.parse(init.body) as { method?: string; params?: { requestState?: unknown } } : undefined;
      const retry = body?.params?.requestState !== undefined;
      const replica = retry ? 1 : 0;
      if (body?.method) sent.push({ replica, retry, method: body.method });
      const target = new URL(url);
      return fetch(`${origins[replica]}${target.pathname}${target.search}`, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers)), authorization: `Bearer ${token}` } });
    };
    const client = new Client({ name: 'split-client', version: '1.0.0' }, { capabilities: { sampling: {}, elicitation: { form: {} } }, versionNegotiation: { mode: { pin: MODERN } } });
    const asked: string[] = [];
    client.setRequestHandler('sampling/createMessage', async () => {
      asked.push('sampling/createMessage');
      return ANSWER as never;
    });
    client.setRequestHandler('elicitation/create', async () => {
      asked.push('elicitation/create');
      return { action: 'accept', content: { answer: 'forty-two' } };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${origins[0]}/mcp`), { fetch: split }));
    return { client, sent, asked };
  }

  /** One 2026-07-28 request by hand to one replica, as the spec lays it out. */
  async function send(replica: number, token: string, params: Record<string, unknown>): Promise<{ message: Message; ms: number }> {
    const started = performance.now();
    const answer = await fetch(`${origins[replica]}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}`,
        'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': String(params.name),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { ...params, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': SAMPLING } } }),
    });
    const text = await answer.text();
    const json = answer.headers.get('content-type')?.includes('text/event-stream')
      ? text.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5)).pop() ?? '{}'
      : text;
    return { message: JSON.parse(json) as Message, ms: performance.now() - started };
  }

  async function firstRound(replica: number, token: string, tool: string) {
    await waitUntil(async () => (await send(replica, token, { name: tool, arguments: { prompt: 'sky?' } })).message.result?.resultType === 'input_required', `${tool} to ask on replica ${replica + 1}`);
    const { message } = await send(replica, token, { name: tool, arguments: { prompt: 'sky?' } });
    const round = message.result!;
    const [key] = Object.keys(round.inputRequests ?? {});
    return { state: round.requestState!, key: key!, method: round.inputRequests![key!]!.method };
  }

  function assertRefusedState(message: Message, why: string): void {
    assert.equal(message.error?.code, -32602, `${why}: ${JSON.stringify(message)}`);
    assert.equal(message.error?.data?.reason, 'invalid_request_state', `${why}: ${JSON.stringify(message)}`);
  }

  it('an SDK v2 client samples for a 2026 upstream: the first request on replica 1, the retry on replica 2', async (t) => {
    const { client, sent, asked } = await splitClient(alice);
    await waitUntil(async () => (await client.listTools()).tools.some((tool) => tool.name === 'now_sample'), 'now_sample listed');
    sent.length = 0;
    const result = await client.callTool({ name: 'now_sample', arguments: { prompt: 'sky?' } });
    assert.deepEqual(result.content, [{ type: 'text', text: 'blue' }]);
    assert.deepEqual(asked, ['sampling/createMessage']);
    assert.deepEqual(sent, [{ replica: 0, retry: false, method: 'tools/call' }, { replica: 1, retry: true, method: 'tools/call' }]);
    // Elicitation takes the same way.
    const elicited = await client.callTool({ name: 'now_elicit', arguments: { message: 'answer?' } });
    assert.match(JSON.stringify(elicited.content), /forty-two/);
    t.diagnostic(`2026 upstream: ${sent.map((s) => `${s.method} on replica ${s.replica + 1}${s.retry ? ' (retry)' : ''}`).join(', ')}`);
    await client.close();
  });

  it('an SDK v2 client samples for a 2025 upstream: replica 2 forwards the retry to replica 1, which holds the call', async (t) => {
    const { client, sent, asked } = await splitClient(alice);
    await waitUntil(async () => (await client.listTools()).tools.some((tool) => tool.name === 'then_sample'), 'then_sample listed');
    sent.length = 0;
    const started = performance.now();
    const result = await client.callTool({ name: 'then_sample', arguments: { prompt: 'sky?' } });
    const ms = performance.now() - started;
    assert.deepEqual(result.content, [{ type: 'text', text: 'blue' }]);
    assert.deepEqual(asked, ['sampling/createMessage']);
    assert.deepEqual(sent, [{ replica: 0, retry: false, method: 'tools/call' }, { replica: 1, retry: true, method: 'tools/call' }]);
    t.diagnostic(`2025 upstream: both rounds through replica 2's forward took ${ms.toFixed(0)} ms in all`);
    await client.close();
  });

  it('a forged or altered requestState gets -32602 on either replica, and a state of one user is refused for another', async () => {
    for (const tool of ['now_sample', 'then_sample']) {
      const round = await firstRound(0, alice, tool);
      const altered = round.state.slice(0, -2) + (round.state.endsWith('AA') ? 'BB' : 'AA');
      for (const replica of [0, 1]) {
        assertRefusedState((await send(replica, alice, { name: tool, arguments: { prompt: 'sky?' }, requestState: 'v1.forged', inputResponses: {} })).message, `a forged state on replica ${replica + 1}`);
        assertRefusedState((await send(replica, alice, { name: tool, arguments: { prompt: 'sky?' }, requestState: altered, inputResponses: {} })).message, `an altered state on replica ${replica + 1}`);
        assertRefusedState((await send(replica, bob, { name: tool, arguments: { prompt: 'sky?' }, requestState: round.state, inputResponses: { [round.key]: ANSWER } })).message, `alice's state used by bob on replica ${replica + 1}`);
      }
      // Other arguments than the call's: the state belongs to another request.
      const other = await send(1, alice, { name: tool, arguments: { prompt: 'sea?' }, requestState: round.state, inputResponses: { [round.key]: ANSWER } });
      assert.equal(other.message.error?.code, -32602, JSON.stringify(other.message));
      // Nothing of that harmed the call: alice's own retry completes it, on the other replica.
      const done = await send(1, alice, { name: tool, arguments: { prompt: 'sky?' }, requestState: round.state, inputResponses: { [round.key]: ANSWER } });
      assert.equal(done.message.result?.content?.[0]?.text, 'blue', `${tool}: ${JSON.stringify(done.message)}`);
    }
  });

  it('replica 1 killed between the rounds: a 2026 upstream\'s call completes on replica 2, a 2025 upstream\'s is reported lost at once', async (t) => {
    const modern = await firstRound(0, alice, 'now_sample');
    const legacy = await firstRound(0, alice, 'then_sample');
    await replicas[0]!.kill();
    const finished = await send(1, alice, { name: 'now_sample', arguments: { prompt: 'sky?' }, requestState: modern.state, inputResponses: { [modern.key]: ANSWER } });
    assert.equal(finished.message.result?.content?.[0]?.text, 'blue', JSON.stringify(finished.message));
    const lost = await send(1, alice, { name: 'then_sample', arguments: { prompt: 'sky?' }, requestState: legacy.state, inputResponses: { [legacy.key]: ANSWER } });
    assert.equal(lost.message.error?.code, -32602, JSON.stringify(lost.message));
    assert.match(lost.message.error?.message ?? '', /was lost: the switchboard replica that held it is gone; make the call again/);
    t.diagnostic(`after the kill: the 2026 upstream's retry on replica 2 completed in ${finished.ms.toFixed(0)} ms; the 2025 upstream's retry was answered "lost" in ${lost.ms.toFixed(0)} ms`);
    // Replica 1 back under the same id: the call it held is gone with the old process, and its successor says so.
    await replicas[0]!.restart();
    const again = await firstRound(0, alice, 'then_sample');
    await replicas[0]!.restart();
    const afterRestart = await send(1, alice, { name: 'then_sample', arguments: { prompt: 'sky?' }, requestState: again.state, inputResponses: { [again.key]: ANSWER } });
    assert.match(afterRestart.message.error?.message ?? '', /was lost/, JSON.stringify(afterRestart.message));
    t.diagnostic(`a held call of a replica restarted under the same id: "lost" in ${afterRestart.ms.toFixed(0)} ms`);
  });
});
