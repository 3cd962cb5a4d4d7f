import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfigFile, parseConfig, parseReplicaId } from '../src/config/index.js';

describe('configuration', () => {
  it('accepts the mcpServers shape of Claude Desktop, Cursor and VS Code, with defaults', () => {
    const config = parseConfig({ mcpServers: { github: { url: 'https://host/mcp' }, files: { command: 'npx', args: ['-y', 'x'] } } }, 'c.yaml');
    assert.equal(config.mcpServers.github?.timeoutMs, 30_000);
    assert.equal(config.store.url, 'memory:');
    assert.equal(config.http.host, '127.0.0.1');
    assert.equal(config.naming.maxLength, 64);
  });

  it('names the file, the key and what was expected', () => {
    assert.throws(() => parseConfig({ mcpServers: { github: { url: 'ftp://x' } } }, 'my.yaml'), (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /^my\.yaml: /);
      assert.match(error.message, /mcpServers\.github\.url: expected an http\(s\) URL/);
      return true;
    });
  });

  it('reports unknown keys instead of ignoring them', () => {
    assert.throws(() => parseConfig({ mcpServers: { a: { url: 'http://x/mcp', timeout: 5 } } }, 'c.yaml'), /mcpServers\.a: unknown key "timeout"/);
    assert.throws(() => parseConfig({ mcpServers: {}, servers: {} }, 'c.yaml'), /\(top level\): unknown key "servers"/);
  });

  it('takes a replica id for session ids that a load balancer can route by, from the file or SWITCHBOARD_REPLICA_ID', () => {
    assert.equal(parseConfig({ mcpServers: {}, http: { replicaId: 'replica-2' } }, 'c.yaml').http.replicaId, 'replica-2');
    assert.equal(parseConfig({ mcpServers: {} }, 'c.yaml').http.replicaId, undefined);
    assert.throws(() => parseConfig({ mcpServers: {}, http: { replicaId: 'a.b' } }, 'c.yaml'), /http\.replicaId: letters, digits and dashes/);
    assert.equal(parseReplicaId('r1'), 'r1');
    assert.throws(() => parseReplicaId('r 1'), (error: Error) => error instanceof ConfigError && /SWITCHBOARD_REPLICA_ID/.test(error.message));
  });

  it('rejects server names that cannot be prefixes', () => {
    assert.throws(() => parseConfig({ mcpServers: { 'My_Server': { url: 'http://x/mcp' } } }, 'c.yaml'), /mcpServers\.My_Server: invalid name/);
  });

  it('interpolates ${ENV} in values and names a missing variable', () => {
    const config = parseConfig({ mcpServers: { a: { url: 'http://x/mcp', headers: { 'X-Key': '${KEY}' } } } }, 'c.yaml', { KEY: 'k1' });
    assert.deepEqual(config.mcpServers.a && 'headers' in config.mcpServers.a ? config.mcpServers.a.headers : undefined, { 'X-Key': 'k1' });
    assert.throws(() => parseConfig({ mcpServers: { a: { url: 'http://x/mcp', headers: { 'X-Key': '${NOPE}' } } } }, 'c.yaml', {}), /mcpServers\.a\.headers\.X-Key: environment variable NOPE is not set/);
  });

  it('loads YAML and JSON files, and says when the file is unreadable or malformed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-config-'));
    await writeFile(join(dir, 'a.yaml'), 'mcpServers:\n  a:\n    url: http://x/mcp\n');
    await writeFile(join(dir, 'b.json'), JSON.stringify({ mcpServers: { b: { command: 'node' } } }));
    await writeFile(join(dir, 'bad.yaml'), 'mcpServers: [unclosed');
    assert.ok((await loadConfigFile(join(dir, 'a.yaml'))).mcpServers.a);
    assert.ok((await loadConfigFile(join(dir, 'b.json'))).mcpServers.b);
    await assert.rejects(loadConfigFile(join(dir, 'bad.yaml')), /bad\.yaml: not valid YAML or JSON/);
    await assert.rejects(loadConfigFile(join(dir, 'missing.yaml')), /missing\.yaml: cannot read the file \(ENOENT\)/);
  });

  // Found by test/fuzz/config.fuzz.ts: these documents refer to themselves, and loading them overflowed the stack.
  it('refuses a YAML alias inside its own anchor, naming the key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-config-'));
    await writeFile(join(dir, 'self.yaml'), '&a {<<: *a\n}\n');
    await writeFile(join(dir, 'servers.yaml'), 'mcpServers: &x\n  a: *x\n');
    await writeFile(join(dir, 'shared.yaml'), 'mcpServers:\n  a: &s { url: http://x/mcp }\n  b: *s\n');
    await assert.rejects(loadConfigFile(join(dir, 'self.yaml')), (error: Error) => error instanceof ConfigError && /self\.yaml: <<: refers to itself/.test(error.message));
    await assert.rejects(loadConfigFile(join(dir, 'servers.yaml')), (error: Error) => error instanceof ConfigError && /mcpServers\.a: refers to itself/.test(error.message));
    // An alias used twice, outside its anchor, is no cycle.
    assert.equal((await loadConfigFile(join(dir, 'shared.yaml'))).mcpServers.b && 'ok', 'ok');
  });
  describe('the front door (inboundAuth) and token scope', () => {
    it('is off by default, and tokens then belong to sessions', () => {
      const config = parseConfig({ mcpServers: {} }, 'c.yaml');
      assert.equal(config.inboundAuth, undefined);
      assert.equal(config.tokens.scope, 'session');
    });

    it('takes an issuer with defaults for everything else; tokens then belong to users', () => {
      const config = parseConfig({ mcpServers: {}, inboundAuth: { issuer: 'https://idp.example.com' } }, 'c.yaml');
      assert.deepEqual(config.inboundAuth, { issuer: 'https://idp.example.com', requiredScopes: [], algorithms: ['RS256', 'ES256'], userClaim: 'sub' });
      assert.equal(config.tokens.scope, 'user');
      const perSession = parseConfig({ mcpServers: {}, inboundAuth: { issuer: 'https://idp.example.com' }, tokens: { scope: 'session' } }, 'c.yaml');
      assert.equal(perSession.tokens.scope, 'session');
    });

    it('refuses symmetric algorithms, a per-user scope without a front door, and half an introspection client', () => {
      assert.throws(() => parseConfig({ mcpServers: {}, inboundAuth: { issuer: 'https://idp.example.com', algorithms: ['HS256'] } }, 'c.yaml'), /inboundAuth\.algorithms\.0/);
      assert.throws(() => parseConfig({ mcpServers: {}, tokens: { scope: 'user' } }, 'c.yaml'), /tokens\.scope: "user" needs inboundAuth/);
      assert.throws(() => parseConfig({ mcpServers: {}, inboundAuth: { issuer: 'https://idp.example.com', introspection: { clientId: 'x' } } }, 'c.yaml'), /inboundAuth\.introspection\.clientSecret/);
      assert.throws(() => parseConfig({ mcpServers: {}, inboundAuth: { issuer: 'https://idp.example.com', requiredScopes: ['a b'] } }, 'c.yaml'), /inboundAuth\.requiredScopes\.0/);
    });
  });
});
