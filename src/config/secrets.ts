import type { ServerConfig } from './schema.js';

/** What an answer shows in place of a secret; an update that sends it back keeps the secret it stands for. */
export const MASK = '***';

/** Keys whose values are secrets wherever they appear in a server's `auth` (OAuth client secrets, static credentials). */
const SECRET_KEYS = new Set(['clientSecret', 'token', 'password', 'value', 'jwk', 'pem']);

type Tree = Record<string, unknown>;

/**
 * A server's configuration as the admin API shows it: every header value, every stdio environment value and every
 * secret of `auth` replaced by MASK. Header and environment values often are API keys; telling which are not is
 * guesswork, so none is shown.
 */
export function maskSecrets(server: ServerConfig): Tree {
  return walk(server, [], () => MASK) as Tree;
}

/** `next` with every MASK at a secret's place replaced by the value `previous` has there (an update of a masked answer). */
export function keepMaskedSecrets(next: unknown, previous: ServerConfig | undefined): unknown {
  if (!previous) return next;
  return walk(next, [], (path, value) => (value === MASK ? valueAt(previous, path) ?? value : value));
}

function isSecretPath(path: readonly string[]): boolean {
  const [first, second] = path;
  if ((first === 'headers' || first === 'env') && path.length === 2) return true;
  if (first !== 'auth') return false;
  if (second === 'headers' && path.length === 3) return true;
  return SECRET_KEYS.has(path[path.length - 1] ?? '');
}

/** Rebuilds `value`; a secret (a string, or a whole object such as a JWK) goes through `leaf`, everything else as it is. */
function walk(value: unknown, path: string[], leaf: (path: string[], value: unknown) => unknown): unknown {
  if (path.length > 0 && isSecretPath(path)) return leaf(path, value);
  if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, String(i)], leaf));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, walk(inner, [...path, key], leaf)]));
  }
  return value;
}

function valueAt(server: ServerConfig, path: readonly string[]): unknown {
  let current: unknown = server;
  for (const key of path) current = current && typeof current === 'object' ? (current as Tree)[key] : undefined;
  return current;
}
