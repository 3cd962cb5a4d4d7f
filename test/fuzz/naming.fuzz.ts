import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Tool } from '@modelcontextprotocol/server';
import { publicName, SessionCatalog, type CatalogSource } from '../../src/catalog/index.js';
import type { UpstreamConnection } from '../../src/upstream/index.js';
import { fuzzParameters, RUNS } from './runs.js';
import { createLogger } from '../../src/log/index.js';

const SAFE_NAME = /^[A-Za-z0-9._-]+$/;
const SILENT = createLogger({ level: 'silent', pretty: false });

/** Server names as the config allows them (src/config/schema.ts). */
const serverName = fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/);
/** Upstream tool names: mostly plausible, often colliding across servers, sometimes long or unsafe. */
const toolName = fc.oneof(
  fc.constantFrom('echo', 'search', 'a_b', 'x', 'get-item', 'weather_echo', 'b_x'),
  fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/),
  fc.string({ maxLength: 150 }),
  fc.string({ unit: fc.constantFrom('a', '_', ' ', 'é', '/'), minLength: 60, maxLength: 200 }),
);
const maxLength = fc.integer({ min: 16, max: 128 });

/** What the catalog reads of a connection: its name and the tools it listed. */
function connection(name: string, tools: string[]): UpstreamConnection {
  return { name, catalog: { tools: tools.map((tool) => ({ name: tool, inputSchema: { type: 'object' } })), prompts: [], resources: [], resourceTemplates: [] } } as unknown as UpstreamConnection;
}

describe('public names (fuzz)', () => {
  it(`publicName is deterministic, safe and within the limit, for ${RUNS} names`, () => {
    fc.assert(fc.property(serverName, toolName, fc.boolean(), maxLength, (server, name, prefix, limit) => {
      const mapped = publicName(server, name, prefix, limit);
      assert.equal(publicName(server, name, prefix, limit), mapped);
      assert.ok(mapped.length <= limit, `${mapped} is longer than ${limit}`);
      assert.match(mapped, SAFE_NAME);
      const wanted = prefix ? `${server}_${name}` : name;
      if (wanted.length <= limit && SAFE_NAME.test(wanted)) assert.equal(mapped, wanted, 'a name that fits is kept as it is');
    }), fuzzParameters());
  });

  it(`a catalog's tool names are unique, within the limit, stable and route back to the original, for ${RUNS} catalogs`, () => {
    // Short, shared server names and tool names that spell another server's prefixed names make collisions common:
    // an unprefixed server's `b_x` against server b's `x`, a reserved name against an upstream one.
    const names = fc.uniqueArray(fc.oneof(fc.constantFrom('a', 'b', 'files'), serverName), { minLength: 1, maxLength: 5 });
    const servers = names.chain((serverNames) => fc.tuple(...serverNames.map((name) => fc.record({
      name: fc.constant(name),
      prefix: fc.boolean(),
      tools: fc.uniqueArray(fc.oneof(toolName, fc.constantFrom(...serverNames).map((other) => `${other}_x`)), { maxLength: 6 }),
    }))));
    const reserved = fc.uniqueArray(fc.constantFrom('switchboard_sign_out', 'authenticate_a', 'echo', 'b_x'), { maxLength: 2 });
    fc.assert(fc.property(servers, reserved, maxLength, (specs, reservedNames, limit) => {
      const sources: CatalogSource[] = specs.map((s) => ({ connection: connection(s.name, s.tools), prefix: s.prefix }));
      const reservedTools: Tool[] = reservedNames.map((name) => ({ name, inputSchema: { type: 'object' } }));
      const catalog = new SessionCatalog(limit, SILENT);
      catalog.rebuild(sources, reservedTools);
      const names = catalog.tools.map((t) => t.name);
      assert.equal(new Set(names).size, names.length, `two tools share a public name: ${JSON.stringify(names)}`);
      assert.equal(names.length, reservedNames.length + specs.reduce((n, s) => n + s.tools.length, 0), 'every upstream tool is listed once');
      for (const tool of catalog.tools.slice(reservedNames.length)) {
        assert.ok(tool.name.length <= limit, `${tool.name} is longer than ${limit}`);
        assert.match(tool.name, SAFE_NAME);
        const route = catalog.tool(tool.name);
        assert.ok(route, `${tool.name} does not route`);
        assert.ok(specs.find((s) => s.name === route.connection.name)?.tools.includes(route.upstreamName), `${tool.name} routes to ${route.connection.name}/${route.upstreamName}, which that server does not have`);
      }
      const again = new SessionCatalog(limit, SILENT);
      again.rebuild(sources, reservedTools);
      assert.deepEqual(again.tools.map((t) => t.name), names, 'the same servers give the same names');
    }), fuzzParameters());
  });
});
