import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';

const MODERN_META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };

/** Writes the lines to a switchboard on stdio and collects its answers by id until every id in `ids` has one. */
async function answersOverStdio(lines: object[], ids: number[]): Promise<Map<number, { error?: { code: number; message: string } }>> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-stdio-'));
  const configFile = join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify({ mcpServers: {}, http: { port: 0 }, log: { level: 'silent' } }));
  const child = spawn(process.execPath, ['bin/switchboard.js', 'serve', '--stdio', '--config', configFile], { stdio: ['pipe', 'pipe', 'ignore'] });
  const answers = new Map<number, { error?: { code: number; message: string } }>();
  try {
    const done = new Promise<void>((resolve) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const message = JSON.parse(line) as { id?: number; error?: { code: number; message: string } };
        if (typeof message.id === 'number') answers.set(message.id, message);
        if (ids.every((id) => answers.has(id))) resolve();
      });
    });
    for (const line of lines) child.stdin.write(`${JSON.stringify(line)}\n`);
    await done;
    return answers;
  } finally {
    child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

const BAD_CALLS = [
  { id: 2, params: {} },
  { id: 3, params: { name: 123 } },
  { id: 4, params: { name: 'x', arguments: 'a string' } },
  { id: 5, params: { name: 'x', arguments: ['an', 'array'] } },
];

function assertShortInvalidParams(answers: Map<number, { error?: { code: number; message: string } }>): void {
  for (const { id } of BAD_CALLS) {
    const error = answers.get(id)?.error;
    assert.equal(error?.code, -32602, `call ${id}: ${JSON.stringify(answers.get(id))}`);
    assert.match(error.message, /^Invalid params: tools\/call /);
    assert.ok(error.message.length <= 120 && !error.message.includes('{') && !error.message.includes('\n'), `not a short message: ${error.message}`);
  }
}

describe('stdio: a tools/call with malformed params', () => {
  it('is refused with a short -32602 on a 2025-11-25 connection', { timeout: 30_000 }, async () => {
    const answers = await answersOverStdio([
      { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'test', version: '1' } } },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      ...BAD_CALLS.map(({ id, params }) => ({ jsonrpc: '2.0', id, method: 'tools/call', params })),
    ], [1, ...BAD_CALLS.map(({ id }) => id)]);
    assertShortInvalidParams(answers);
  });

  it('is refused with a short -32602 on a 2026-07-28 connection', { timeout: 30_000 }, async () => {
    const answers = await answersOverStdio([
      { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: MODERN_META } },
      ...BAD_CALLS.map(({ id, params }) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { ...params, _meta: MODERN_META } })),
    ], [1, ...BAD_CALLS.map(({ id }) => id)]);
    assertShortInvalidParams(answers);
  });
});
