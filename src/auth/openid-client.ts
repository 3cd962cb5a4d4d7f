import type * as OpenidClient from 'openid-client';

/**
 * openid-client (with oauth4webapi), loaded by the first sign-in or token request: a switchboard that only relays
 * never needs it, and importing it at start cost idle memory (issue 6).
 */
export function loadOpenidClient(): Promise<typeof OpenidClient> {
  return import('openid-client');
}
