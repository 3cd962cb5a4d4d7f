import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UpstreamConnection } from '../src/upstream/index.js';
import { publicName, publicUri, SessionCatalog } from '../src/catalog/index.js';
import { createLogger } from '../src/log/index.js';

describe('publicName', () => {
  it('prefixes with the server name', () => {
    assert.equal(publicName('github', 'create_issue', true, 64), 'github_create_issue');
    assert.equal(publicName('github', 'create_issue', false, 64), 'create_issue');
  });

  it('shortens a long name to the limit, deterministically, with a hash of the full original', () => {
    const long = `a_${'x'.repeat(100)}`;
    const name = publicName('srv', long, true, 64);
    assert.equal(name.length, 64);
    assert.match(name, /^srv_a_x+_[0-9a-f]{8}$/);
    assert.equal(publicName('srv', long, true, 64), name, 'same input, same name');
  });

  it('never maps two long names that share their head to one name', () => {
    const head = 'y'.repeat(80);
    assert.notEqual(publicName('srv', `${head}_one`, true, 64), publicName('srv', `${head}_two`, true, 64));
  });

  it('makes unsafe characters safe, and keeps names that only differ in them apart', () => {
    const spaced = publicName('srv', 'do thing', true, 64);
    const underscored = publicName('srv', 'do_thing', true, 64);
    assert.match(spaced, /^[A-Za-z0-9._-]+$/);
    assert.equal(underscored, 'srv_do_thing');
    assert.notEqual(spaced, underscored);
  });

  it('respects a smaller configured limit', () => {
    assert.ok(publicName('server', 'a_rather_long_tool_name', true, 20).length <= 20);
  });

  // Found by test/fuzz/naming.fuzz.ts: b's own "files_x" takes the name files' "x" wants, prefixed or not, so "x"
  // gets a collision name, which must fit the smallest limit too.
  it('keeps a collision name within the smallest limit', () => {
    const connection = (name: string, tools: string[]) => ({ name, catalog: { tools: tools.map((tool) => ({ name: tool, inputSchema: { type: 'object' } })), prompts: [], resources: [], resourceTemplates: [] } }) as unknown as UpstreamConnection;
    const catalog = new SessionCatalog(16, createLogger({ level: 'silent', pretty: false }));
    catalog.rebuild([{ connection: connection('b', ['files_x']), prefix: false }, { connection: connection('files', ['x']), prefix: true }]);
    const names = catalog.tools.map((tool) => tool.name);
    assert.equal(names[0], 'files_x');
    assert.ok(names[1] && names[1] !== 'files_x' && names[1].length <= 16, `${names[1]}`);
    assert.equal(catalog.tool(names[1])?.upstreamName, 'x');
  });
});

describe('publicUri', () => {
  it('namespaces URIs of prefixed servers into a valid scheme', () => {
    assert.equal(publicUri('files', 'file:///a.txt', true), 'files+file:///a.txt');
    assert.doesNotThrow(() => new URL(publicUri('files', 'file:///a.txt', true)));
    assert.equal(publicUri('files', 'file:///a.txt', false), 'file:///a.txt');
  });
});
