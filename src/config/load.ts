import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, replicaIdSchema, serverEntry, serverName, type Config, type ServerConfig } from './schema.js';
import { secretFileReader } from './secret-sources.js';

/** A configuration that cannot be used; the message names the file, the key and what was expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads, interpolates and validates a YAML or JSON config file. */
export async function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${path}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let raw: unknown;
  try {
    // YAML 1.2 is a superset of JSON, so one parser serves both formats.
    raw = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${path}: not valid YAML or JSON: ${(error as Error).message}`);
  }
  return parseConfig(raw, path, env, { baseDir: dirname(path) });
}

export interface ParseOptions {
  /** Where relative `{ file: path }` secrets are read from: the configuration file's directory (default: the working directory). */
  baseDir?: string;
}

/** The schema per base directory of secret files, built once each (a schema costs more to build than to use). */
const schemas = new Map<string, ReturnType<typeof configSchema>>();

export function parseConfig(raw: unknown, source: string, env: NodeJS.ProcessEnv = process.env, options: ParseOptions = {}): Config {
  const interpolated = interpolate(raw, [], source, env);
  const baseDir = options.baseDir ?? process.cwd();
  let schema = schemas.get(baseDir);
  if (!schema) {
    schema = configSchema(secretFileReader(baseDir));
    schemas.set(baseDir, schema);
  }
  const result = schema.safeParse(interpolated);
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues, source));
  return result.data;
}

/** Server entries from the admin API: no `{ file }` secrets (its callers must not make switchboard read its files). */
const adminServerEntry = serverEntry(undefined);

/**
 * One server entry as the admin API receives it, checked by the config file's own schema, so its errors read the same
 * (`mcpServers.<name>.<key>: ...`). Values are taken as they are: `${NAME}` is a config file's, not an API caller's.
 */
export function parseServerEntry(name: unknown, raw: unknown, source: string): { name: string; server: ServerConfig } {
  const issues: z.core.$ZodIssue[] = [];
  const parsedName = serverName.safeParse(name);
  if (!parsedName.success) issues.push(...parsedName.error.issues.map((issue) => ({ ...issue, path: ['name', ...issue.path] })));
  const key = typeof name === 'string' ? name : '(name)';
  const parsed = adminServerEntry.safeParse(raw);
  if (!parsed.success) issues.push(...parsed.error.issues.map((issue) => ({ ...issue, path: ['mcpServers', key, ...issue.path] })));
  if (!parsedName.success || !parsed.success) throw new ConfigError(formatIssues(issues, source));
  return { name: parsedName.data, server: parsed.data };
}

/**
 * Replaces `${NAME}` in every string value; an unset variable is an error naming the key. The result is a tree: a
 * YAML alias inside its own anchor (`&a { <<: *a }`) makes the parsed document refer to itself, which is an error
 * naming the key, where following it would never end.
 */
function interpolate(value: unknown, path: (string | number)[], source: string, env: NodeJS.ProcessEnv, ancestors = new Set<object>()): unknown {
  if (value !== null && typeof value === 'object') {
    if (ancestors.has(value)) throw new ConfigError(`${source}: ${keyPath(path)}: refers to itself (a YAML alias inside its own anchor)`);
    ancestors.add(value);
    try {
      if (Array.isArray(value)) return value.map((item, index) => interpolate(item, [...path, index], source, env, ancestors));
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, [...path, key], source, env, ancestors)]));
    } finally {
      ancestors.delete(value);
    }
  }
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const found = env[name];
      if (found === undefined) throw new ConfigError(`${source}: ${keyPath(path)}: environment variable ${name} is not set`);
      return found;
    });
  }
  return value;
}

function formatIssues(issues: z.core.$ZodIssue[], source: string): string {
  const lines = issues.flatMap((issue) => describeIssue(issue));
  return `${source}: invalid configuration\n${lines.map((line) => `  - ${line}`).join('\n')}`;
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') {
    return [`${keyPath(issue.path)}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`];
  }
  if (issue.code === 'invalid_key') {
    return [`${keyPath(issue.path)}: invalid name: ${issue.issues.map((inner) => inner.message).join('; ')}`];
  }
  if (issue.code === 'invalid_union' && issue.errors.length === 0) {
    // A discriminated union (auth.type) that matched no option: its own message says what was expected.
    return [`${keyPath(issue.path)}: ${issue.message}`];
  }
  if (issue.code === 'invalid_union') {
    // A server entry is a remote or a local server. When one kind fits clearly better (fewer problems), its problems
    // are the useful ones: `timeoutMs: "soon"` beside a `url` is a bad timeoutMs, not a bad kind of server.
    const branch = closestBranch(issue.errors);
    if (branch) return branch.flatMap((inner) => describeIssue({ ...inner, path: [...issue.path, ...inner.path] }));
    return [`${keyPath(issue.path)}: expected a remote server (url) or a local server (command)`];
  }
  return [`${keyPath(issue.path)}: ${issue.message}`];
}

function closestBranch(branches: z.core.$ZodIssue[][]): z.core.$ZodIssue[] | undefined {
  const sorted = [...branches].sort((a, b) => a.length - b.length);
  const [best, runnerUp] = sorted;
  return best && best.length > 0 && (!runnerUp || runnerUp.length > best.length) ? best : undefined;
}

function keyPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(top level)' : path.map(String).join('.');
}

/** SWITCHBOARD_REPLICA_ID, checked like `http.replicaId` in a configuration file. */
export function parseReplicaId(value: string): string {
  const parsed = replicaIdSchema.safeParse(value);
  if (!parsed.success) throw new ConfigError(`SWITCHBOARD_REPLICA_ID: expected letters, digits and dashes, at most 32, got "${value.slice(0, 40)}"`);
  return parsed.data;
}
