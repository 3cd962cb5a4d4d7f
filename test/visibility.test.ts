import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEvent } from '../src/audit/index.js';
import { parseConfig } from '../src/config/index.js';
import { serverScope, visibleServers } from '../src/visibility/index.js';

const IDP = { issuer: 'https://idp.example.com', teamsClaim: 'groups' };

function config(servers: Record<string, unknown>, inboundAuth: Record<string, unknown> | undefined = IDP) {
  return parseConfig({ mcpServers: servers, ...(inboundAuth ? { inboundAuth } : {}) }, 'c.yaml');
}

describe('visibility', () => {
  const servers = {
    weather: { url: 'http://w/mcp' },
    payments: { url: 'http://p/mcp', visibility: 'team', teams: ['finance'], owners: ['dana'] },
    vault: { url: 'http://v/mcp', visibility: 'private', owners: ['carol'] },
  };

  it('shows public servers to everyone, team servers to members and owners, private ones to owners', () => {
    const c = config(servers);
    assert.deepEqual(visibleServers(c, { subject: 'alice', teams: ['finance'] }), ['weather', 'payments']);
    assert.deepEqual(visibleServers(c, { subject: 'bob', teams: ['support'] }), ['weather']);
    assert.deepEqual(visibleServers(c, { subject: 'dana', teams: [] }), ['weather', 'payments']);
    assert.deepEqual(visibleServers(c, { subject: 'carol', teams: ['finance'] }), ['weather', 'payments', 'vault']);
  });

  it('shows every server when nobody is known (no front door)', () => {
    assert.deepEqual(visibleServers(config(servers, undefined), undefined), ['weather', 'payments', 'vault']);
  });

  it('audits a refused name only when it belongs to a server the viewer may not see', () => {
    const events: AuditEvent[] = [];
    const scope = serverScope({ config: config(servers), viewer: { subject: 'bob', teams: [] }, audit: { record: (e) => void events.push(e) }, user: 'bob' });
    scope.notOffered('tool', 'weather_nonexistent');
    scope.notOffered('tool', 'nosuch_echo');
    scope.notOffered('tool', 'payments_echo');
    scope.notOffered('tool', 'authenticate_vault');
    scope.notOffered('resource', 'vault+file:///secret');
    assert.deepEqual(events.map((e) => [e.user, e.action, e.resourceType, e.resourceId, e.outcome]), [
      ['bob', 'access', 'tool', 'payments_echo', 'denied'],
      ['bob', 'access', 'tool', 'authenticate_vault', 'denied'],
      ['bob', 'access', 'resource', 'vault+file:///secret', 'denied'],
    ]);
  });

  it('reads the servers as they are now: a server added or changed at run time is seen by whom it says', () => {
    const c = config({ weather: { url: 'http://w/mcp' } });
    const scope = serverScope({ config: c, viewer: { subject: 'bob', teams: ['support'] }, audit: { record() {} }, user: 'bob' });
    assert.equal(scope.offers('payments'), false);
    c.mcpServers.payments = config({ payments: { url: 'http://p/mcp', visibility: 'team', teams: ['support'] } }).mcpServers.payments!;
    assert.equal(scope.offers('payments'), true);
    c.mcpServers.payments = config({ payments: { url: 'http://p/mcp', visibility: 'team', teams: ['finance'] } }).mcpServers.payments!;
    assert.equal(scope.offers('payments'), false);
  });

  it('refuses settings that cannot mean what they say, naming the key', () => {
    assert.throws(() => config({ a: { url: 'http://a/mcp', visibility: 'team' } }), /mcpServers\.a\.teams: visibility "team" needs the teams/);
    assert.throws(() => config({ a: { url: 'http://a/mcp', visibility: 'private' } }), /mcpServers\.a\.owners: visibility "private" needs the owners/);
    assert.throws(() => config({ a: { url: 'http://a/mcp', teams: ['x'] } }), /mcpServers\.a\.teams: has no effect on a public server/);
    assert.throws(() => config({ a: { url: 'http://a/mcp', visibility: 'team', teams: ['x'] } }, { issuer: 'https://idp.example.com' }), /mcpServers\.a\.visibility: "team" needs inboundAuth\.teamsClaim/);
    assert.throws(() => config({ a: { url: 'http://a/mcp', visibility: 'secret' } }), /mcpServers\.a\.visibility/);
  });
});
