import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

/**
 * A static credential the mock demands of every HTTP request, as API-key and service-account servers do: a bearer
 * token, Basic credentials (RFC 7617), a header, or a key in the query string. A request without it, or with another
 * one, gets 401 with a challenge of the matching scheme (RFC 9110 §11.6.1).
 */
export type MockCredential =
  | { kind: 'bearer'; token: string }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'header'; name: string; value: string }
  | { kind: 'query'; param: string; value: string };

export function presents(req: Request, credential: MockCredential): boolean {
  switch (credential.kind) {
    case 'bearer':
      return same(req.header('authorization'), `Bearer ${credential.token}`);
    case 'basic':
      return same(req.header('authorization'), `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`);
    case 'header':
      return same(req.header(credential.name), credential.value);
    case 'query': {
      const value = new URL(req.originalUrl, 'http://mock').searchParams.get(credential.param);
      return same(value ?? undefined, credential.value);
    }
  }
}

export function challengeFor(credential: MockCredential): string {
  return credential.kind === 'basic' ? 'Basic realm="mock-mcp"' : 'Bearer realm="mock-mcp"';
}

function same(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
