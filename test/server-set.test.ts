import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keepMaskedSecrets, MASK, maskSecrets, parseConfig, ServerSet, type ServerConfig } from '../src/config/index.js';

function setOf(servers: Record<string, unknown>) {
  const config = parseConfig({ mcpServers: servers }, 'test');
  return { config, servers: new ServerSet(config) };
}

const remote = (url: string) => parseConfig({ mcpServers: { x: { url } } }, 'test').mcpServers.x!;

describe('the server set', () => {
  it('applies a reloaded file as one change: added, removed and updated names, in the file\'s order', () => {
    const { config, servers } = setOf({ a: { url: 'https://a.example/mcp' }, b: { url: 'https://b.example/mcp' } });
    const { change } = servers.replaceFromFile({ c: remote('https://c.example/mcp'), a: remote('https://a2.example/mcp') });
    assert.deepEqual(change, { added: ['c'], removed: ['b'], updated: ['a'] });
    assert.deepEqual(Object.keys(config.mcpServers), ['c', 'a']);
  });

  it('reports no change for an identical file, and leaves the object everyone reads in place', () => {
    const { config, servers } = setOf({ a: { url: 'https://a.example/mcp' } });
    const before = config.mcpServers;
    assert.deepEqual(servers.replaceFromFile({ a: remote('https://a.example/mcp') }).change, { added: [], removed: [], updated: [] });
    assert.equal(config.mcpServers, before);
  });

  it('keeps the servers added at run time through a reload of the file', () => {
    const { config, servers } = setOf({ a: { url: 'https://a.example/mcp' } });
    assert.deepEqual(servers.putRuntime('news', remote('https://news.example/mcp')).change, { added: ['news'], removed: [], updated: [] });
    assert.ok(servers.isRuntime('news'));
    servers.replaceFromFile({ b: remote('https://b.example/mcp') });
    assert.deepEqual(Object.keys(config.mcpServers).sort(), ['b', 'news']);
    assert.deepEqual(servers.removeRuntime('news').change, { added: [], removed: ['news'], updated: [] });
  });

  it('names the servers whose tokens a change orphans: the removed ones and the moved ones, with their old configuration', () => {
    const { servers } = setOf({ gone: { url: 'https://gone.example/mcp' }, moved: { url: 'https://old.example/mcp' }, tuned: { url: 'https://t.example/mcp' } });
    const { change, orphaned } = servers.replaceFromFile({
      moved: remote('https://new.example/mcp'),
      tuned: parseConfig({ mcpServers: { tuned: { url: 'https://t.example/mcp', timeoutMs: 5000 } } }, 'test').mcpServers.tuned!,
    });
    assert.deepEqual(change, { added: [], removed: ['gone'], updated: ['moved', 'tuned'] });
    assert.deepEqual(orphaned.map(({ name, server }) => [name, 'url' in server ? server.url : undefined]), [['gone', 'https://gone.example/mcp'], ['moved', 'https://old.example/mcp']]);
  });
});

describe('secrets in answers', () => {
  const server = parseConfig({ mcpServers: { x: { url: 'https://x.example/mcp', headers: { Authorization: 'Bearer k', 'X-Team': 'core' }, auth: { clientId: 'id', clientSecret: 's3cret' } } } }, 'test').mcpServers.x as ServerConfig;

  it('masks every header value and every auth secret, and nothing else', () => {
    const shown = maskSecrets(server) as { url: string; headers: Record<string, string>; auth: Record<string, string> };
    assert.equal(shown.url, 'https://x.example/mcp');
    assert.deepEqual(shown.headers, { Authorization: MASK, 'X-Team': MASK });
    assert.equal(shown.auth.clientId, 'id');
    assert.equal(shown.auth.clientSecret, MASK);
    assert.ok(!JSON.stringify(shown).includes('s3cret') && !JSON.stringify(shown).includes('Bearer k'));
  });

  it('puts a masked secret sent back in an update back to its value, and takes a new one as it is', () => {
    const next = keepMaskedSecrets({ url: 'https://x.example/mcp', headers: { Authorization: MASK, 'X-Team': 'infra' }, auth: { clientId: 'id', clientSecret: MASK } }, server) as { headers: Record<string, string>; auth: Record<string, string> };
    assert.deepEqual(next.headers, { Authorization: 'Bearer k', 'X-Team': 'infra' });
    assert.equal(next.auth.clientSecret, 's3cret');
  });

  it('keeps a mask outside a secret\'s place as it is (it is then checked like any value)', () => {
    const next = keepMaskedSecrets({ url: MASK }, server) as { url: string };
    assert.equal(next.url, MASK);
  });
});
