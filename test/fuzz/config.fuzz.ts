import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { ConfigError, isRemote, loadConfigFile, parseConfig, type Config } from '../../src/config/index.js';
import { fuzzParameters, RUNS } from './runs.js';

const ENV = { TOKEN: 'secret-value', URL: 'https://example.test/mcp', EMPTY: '' };

/** A scalar of any kind, with strings that interpolate (set and unset variables) or look like URLs. */
const scalar = fc.oneof(
  fc.anything({ maxDepth: 1 }),
  fc.integer({ min: -5, max: 70_000 }),
  fc.constantFrom('${TOKEN}', '${URL}', '${EMPTY}', '${UNSET}', '${', 'http://127.0.0.1:1/mcp', 'https://h/mcp', 'ftp://x', 'memory:', 'redis://r:6379/0', 'info', 'loud', 'sse', 'npx'),
);
const section = (keys: string[]) => fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 8 })), scalar, { maxKeys: 5 });
const server = fc.oneof(
  section(['url', 'transport', 'headers', 'timeoutMs', 'prefix', 'auth']),
  section(['command', 'args', 'env', 'cwd', 'timeoutMs', 'prefix']),
  fc.record({ url: fc.constantFrom('https://h/mcp', '${URL}'), auth: section(['clientId', 'clientSecret', 'scopes', 'issuer', 'type']) }, { requiredKeys: ['url'] }),
  scalar,
);
/** Documents shaped like a configuration, so that the schema's deeper checks run, not only the top level. */
const configLike = fc.dictionary(
  fc.oneof(fc.constantFrom('mcpServers', 'publicUrl', 'store', 'http', 'sessions', 'naming', 'security', 'reconnect', 'log'), fc.string({ maxLength: 8 })),
  fc.oneof(fc.dictionary(fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,3}$/), fc.string({ maxLength: 40 })), server, { maxKeys: 4 }), section(['url', 'host', 'port', 'allowedOrigins', 'bodyLimitBytes', 'idleTimeoutMs', 'firstListWaitMs', 'maxLength', 'level', 'pretty']), scalar),
  { maxKeys: 6 },
);

/** A usable configuration is one the rest of switchboard can rely on without checking again. */
function assertUsable(config: Config): void {
  assert.ok(Number.isInteger(config.http.port) && config.http.port >= 0 && config.http.port <= 65535);
  assert.ok(config.naming.maxLength >= 16 && config.naming.maxLength <= 128);
  for (const [name, entry] of Object.entries(config.mcpServers)) {
    assert.match(name, /^[a-z][a-z0-9-]{0,31}$/);
    if (isRemote(entry)) assert.match(new URL(entry.url).protocol, /^https?:$/);
    else assert.equal(typeof entry.command, 'string');
  }
}

/** The outcome the loader promises: a usable configuration or a ConfigError, never another exception. */
function usableOrConfigError(load: () => Config): void {
  let config: Config;
  try {
    config = load();
  } catch (error) {
    if (error instanceof ConfigError) return;
    throw error;
  }
  assertUsable(config);
}

describe('configuration loader (fuzz)', () => {
  it(`gives a usable configuration or a ConfigError for ${RUNS} documents`, () => {
    fc.assert(fc.property(fc.oneof(configLike, fc.anything()), (raw) => {
      usableOrConfigError(() => parseConfig(raw, 'fuzz.yaml', ENV));
    }), fuzzParameters());
  });

  let dir = '';
  // A file per case: in memory where the system offers it (four times faster than a disk-backed /tmp here).
  before(async () => void (dir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'switchboard-fuzz-config-'))));
  after(async () => rm(dir, { recursive: true, force: true }));

  it(`gives a usable configuration or a ConfigError for ${RUNS} YAML and JSON files`, async () => {
    // Documents written out and then cut or spliced with YAML syntax (anchors, aliases, tags, flow collections).
    const fragments = fc.constantFrom('&a ', '*a', '<<: *a\n', '!!str ', '!!binary ', '? ', '- ', '{', '}', '[', ']', ': ', '\n  ', '"', "'", '#', '%YAML 1.2\n---\n', '\t', '|\n  x', '\u0000');
    const text = fc.tuple(configLike, fc.boolean(), fc.array(fc.tuple(fc.nat(), fragments), { maxLength: 4 })).map(([doc, json, edits]) => {
      let out = json ? JSON.stringify(doc) ?? '' : stringify(doc);
      for (const [at, fragment] of edits) {
        const i = out.length === 0 ? 0 : at % out.length;
        out = out.slice(0, i) + fragment + out.slice(i);
      }
      return out;
    });
    const file = join(dir, 'fuzz.yaml');
    await fc.assert(fc.asyncProperty(text, async (content) => {
      await writeFile(file, content);
      let config: Config;
      try {
        config = await loadConfigFile(file, ENV);
      } catch (error) {
        if (error instanceof ConfigError) return;
        throw error;
      }
      assertUsable(config);
    }), fuzzParameters());
  });
});
