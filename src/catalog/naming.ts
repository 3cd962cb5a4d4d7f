import { createHash } from 'node:crypto';

/** Characters the SDK accepts in tool names (and that clients agree on). */
const SAFE_NAME = /^[A-Za-z0-9._-]+$/;
const UNSAFE_CHARS = /[^A-Za-z0-9._-]/g;
const HASH_LENGTH = 8;

/**
 * The public name of an upstream tool or prompt. Deterministic: it depends only on the server, the upstream name,
 * the prefix setting and the length limit, so every restart and replica agrees.
 * A name that is unsafe or too long keeps a readable head and gets a hash of the full original as its tail, so two
 * upstream names that sanitise or truncate alike still differ.
 */
export function publicName(server: string, name: string, prefix: boolean, maxLength: number): string {
  const wanted = prefix ? `${server}_${name}` : name;
  if (wanted.length <= maxLength && SAFE_NAME.test(wanted)) return wanted;
  return hashedName(wanted.replace(UNSAFE_CHARS, '_'), `${server}\u0000${name}`, maxLength, HASH_LENGTH);
}

/** A second, longer hash for the (astronomically rare) case of two hashed names meeting; still deterministic. */
export function collisionName(server: string, name: string, maxLength: number): string {
  return hashedName(`${server}_${name}`.replace(UNSAFE_CHARS, '_'), `${server}\u0000${name}\u0000collision`, maxLength, 16);
}

function hashedName(readable: string, identity: string, maxLength: number, hashLength: number): string {
  // The hash never pushes a name past the limit: at the smallest limits it gets shorter, leaving one readable
  // character and the "_" (a collision name of 16 hex digits under naming.maxLength 16 was 19 characters long).
  const length = Math.min(hashLength, maxLength - 2);
  const hash = createHash('sha256').update(identity).digest('hex').slice(0, length);
  return `${readable.slice(0, maxLength - length - 1)}_${hash}`;
}

/**
 * Resource URIs of a prefixed server are namespaced as `<server>+<uri>`: the scheme becomes `<server>+<scheme>`,
 * still a valid URI (RFC 3986 §3.1 allows "+" in schemes), so two servers can never expose the same URI.
 */
export function publicUri(server: string, uri: string, prefix: boolean): string {
  return prefix ? `${server}+${uri}` : uri;
}
