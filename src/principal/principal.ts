import { InvalidPrincipalError } from './errors.js';

/**
 * Who upstream sign-ins belong to: tokens, pending sign-ins and single sign-on are keyed by (principal, issuer), so one
 * principal's tokens are never served to another (IBM ContextForge #1078).
 *
 * - `session`: a legacy (2025-11-25) MCP session; its tokens end with it. The default for HTTP clients.
 * - `local-user`: the person at this machine: switchboard on stdio, and modern clients on a loopback bind.
 * - `user`: a person signed in at switchboard's front door, by the issuer and subject of that sign-in. Never a hash of
 *   their token: tokens change at every refresh, the person does not (the ToolHive lesson in NOTES.md).
 */
export type Principal = SessionPrincipal | LocalUserPrincipal | SignedInUserPrincipal;

export interface SessionPrincipal {
  readonly kind: 'session';
  readonly sessionId: string;
}

export interface LocalUserPrincipal {
  readonly kind: 'local-user';
  readonly username: string;
}

export interface SignedInUserPrincipal {
  readonly kind: 'user';
  readonly issuer: string;
  readonly subject: string;
}

export function sessionPrincipal(sessionId: string): SessionPrincipal {
  return Object.freeze({ kind: 'session', sessionId: nonEmpty('session id', sessionId) });
}

export function localUser(username: string): LocalUserPrincipal {
  return Object.freeze({ kind: 'local-user', username: nonEmpty('local user name', username) });
}

export function signedInUser(issuer: string, subject: string): SignedInUserPrincipal {
  return Object.freeze({ kind: 'user', issuer: nonEmpty('issuer', issuer), subject: nonEmpty('subject', subject) });
}

/**
 * The one string a principal is stored and locked under. Distinct principals never share a key: each kind has its
 * own prefix and the parts after it are percent-encoded, so no separator can appear inside them. The local user keeps
 * the key it had when stdio was its only kind, so sign-ins kept in Redis survive the upgrade.
 */
export function principalKey(principal: Principal): string {
  const part = encodeURIComponent;
  switch (principal.kind) {
    case 'session':
      return `session:${part(principal.sessionId)}`;
    case 'local-user':
      return `stdio:${principal.username}`;
    case 'user':
      return `user:${part(principal.issuer)}:${part(principal.subject)}`;
  }
}

/**
 * The principal a store key names (the inverse of principalKey), for a store that finds grants by their key (the
 * grants at an issuer, when a server is removed). Undefined for a key of no known shape.
 */
export function principalFromKey(key: string): Principal | undefined {
  const [kind, ...rest] = key.split(':');
  try {
    if (kind === 'session' && rest.length === 1) return sessionPrincipal(decodeURIComponent(rest[0]!));
    if (kind === 'stdio' && rest.length >= 1) return localUser(rest.join(':'));
    if (kind === 'user' && rest.length === 2) return signedInUser(decodeURIComponent(rest[0]!), decodeURIComponent(rest[1]!));
  } catch {
    // A malformed percent-encoding or an empty part: not a key principalKey made.
  }
  return undefined;
}

export function samePrincipal(a: Principal, b: Principal): boolean {
  return principalKey(a) === principalKey(b);
}

function nonEmpty(what: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidPrincipalError(`a principal needs a non-empty ${what}`);
  return value;
}
