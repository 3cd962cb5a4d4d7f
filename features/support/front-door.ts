import assert from 'node:assert/strict';
import { auth } from './auth.js';
import { TestClient, type ClientEra } from './client.js';
import type { SwitchboardWorld } from './world.js';

/**
 * The people of a scenario behind switchboard's front door: which identity provider signs them in, and the access
 * token each client holds (a client's token can be replaced, as a refresh does).
 */
export class FrontDoorFixture {
  /** The authorization server switchboard's front door trusts. */
  idp: string | undefined;
  readonly tokens = new Map<string, string>();
  readonly users = new Map<string, string>();
  /** Extra claims in each user's tokens (e.g. the teams claim), by user. */
  readonly claims = new Map<string, Record<string, unknown>>();

  constructor(private readonly world: SwitchboardWorld) {}

  /** An access token of `user` for switchboard's own audience, as the IdP would issue after a sign-in. */
  async tokenFor(user: string, scope = ''): Promise<string> {
    assert.ok(this.idp, 'switchboard has no front door in this scenario');
    const claims = this.claims.get(user);
    const { token } = await auth(this.world).authServer(this.idp).mintAccessToken({ sub: user, resource: this.world.url, scope, ...(claims ? { claims } : {}) });
    return token;
  }

  /** Connects client `name` as `user`, with a fresh token sent on every request. */
  async connect(name: string, user: string, era: ClientEra = this.world.clientEra): Promise<TestClient> {
    this.tokens.set(name, await this.tokenFor(user));
    this.users.set(name, user);
    const client = await TestClient.connect(this.world.url, {}, {}, era, () => this.token(name));
    this.world.clients.set(name, client);
    return client;
  }

  token(client: string): string {
    const token = this.tokens.get(client);
    assert.ok(token, `client "${client}" has no token`);
    return token;
  }
}

const fixtures = new WeakMap<SwitchboardWorld, FrontDoorFixture>();

export function frontDoor(world: SwitchboardWorld): FrontDoorFixture {
  let fixture = fixtures.get(world);
  if (!fixture) {
    fixture = new FrontDoorFixture(world);
    fixtures.set(world, fixture);
  }
  return fixture;
}
