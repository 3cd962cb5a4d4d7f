import { After } from '@cucumber/cucumber';
import type { MockAuthServer } from '../../mock-servers/oauth/index.js';
import { auth } from './auth.js';
import type { MetadataFront } from './metadata-front.js';
import { freePort, type SwitchboardWorld } from './world.js';

/** What the discovery and security steps remember within a scenario, beside the AuthFixture's own state. */
export interface SignInChecks {
  /** Sign-in URLs handed out, oldest first. */
  signInUrls: string[];
  /** The callback as the authorization server sent it, before a step tampered with it. */
  genuineCallback?: URL;
  /** Metadata fronts started for protected servers (see metadata-front.ts). */
  fronts: MetadataFront[];
}

const states = new WeakMap<SwitchboardWorld, SignInChecks>();

export function checks(world: SwitchboardWorld): SignInChecks {
  let state = states.get(world);
  if (!state) {
    state = { signInUrls: [], fronts: [] };
    states.set(world, state);
  }
  return state;
}

/**
 * Gives switchboard a fixed address before it starts, for what must be known in advance: a client metadata document
 * URL in its configuration, a redirect URI registered at an authorization server. Returns its public URL.
 */
export async function fixSwitchboardAddress(world: SwitchboardWorld): Promise<string> {
  if (typeof world.config.publicUrl === 'string') return world.config.publicUrl;
  const port = await freePort();
  world.config.http = { ...(world.config.http as object | undefined), port };
  const publicUrl = `http://127.0.0.1:${port}`;
  world.config.publicUrl = publicUrl;
  return publicUrl;
}

/** The authorization server a sign-in URL leads to. */
export function authServerOf(world: SwitchboardWorld, url: string): MockAuthServer {
  const found = [...auth(world).authServers.values()].find((s) => url.startsWith(`${s.endpoints.authorization}?`));
  if (!found) throw new Error(`no authorization server of this scenario serves ${url}`);
  return found;
}

/** Adds to the configuration entry of a remote server (its `auth` block is merged, not replaced). */
export function configureServer(world: SwitchboardWorld, server: string, settings: { auth?: Record<string, unknown> }): void {
  const upstream = world.upstream(server);
  const auth = { ...(upstream.settings.auth as Record<string, unknown> | undefined), ...settings.auth };
  upstream.settings = { ...upstream.settings, auth };
}

After(async function (this: SwitchboardWorld) {
  await Promise.all((states.get(this)?.fronts ?? []).map((front) => front.close()));
});
