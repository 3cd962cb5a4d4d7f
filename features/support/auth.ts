import { After } from '@cucumber/cucumber';
import { startMockAuthServer, type MockAuthServer, type MockAuthServerOptions } from '../../mock-servers/oauth/index.js';
import { startProtectedMcpServer, type ProtectedMcpServer, type ProtectedMcpServerOptions } from '../../mock-servers/protected/index.js';
import type { SwitchboardWorld } from './world.js';

/** What a person sees in the browser at the end of a sign-in. */
export interface SignInOutcome {
  status: number;
  text: string;
  /** Where the authorization server sent the browser (switchboard's callback, with code and state). */
  callbackUrl?: string;
  /** performance.now() when the browser sent the callback, and when it had the answer. */
  callbackSentAt?: number;
  callbackAnsweredAt?: number;
}

/** Authorization servers and protected MCP servers of a scenario, next to the World's other upstreams. */
export class AuthFixture {
  readonly authServers = new Map<string, MockAuthServer>();
  readonly protectedServers = new Map<string, ProtectedMcpServer>();
  /** Sign-in URLs the authenticate tool gave, by server. */
  readonly signInUrls = new Map<string, string>();
  lastSignIn: SignInOutcome | undefined;
  /** elicitationIds of notifications/elicitation/complete the client received. */
  elicitationsCompleted: string[] = [];

  constructor(private readonly world: SwitchboardWorld) {}

  async startAuthServer(name: string, options: MockAuthServerOptions = {}): Promise<MockAuthServer> {
    const server = await startMockAuthServer(options);
    this.authServers.set(name, server);
    return server;
  }

  /**
   * Every secret the authorization server `name` issued or was shown, by what it is: access and refresh tokens,
   * client secrets, sign-in states, authorization codes and PKCE verifiers. What a leak check searches for.
   */
  secretsSeenBy(name: string): Map<string, string> {
    const seen = this.authServer(name).inspect();
    const secrets = new Map<string, string>();
    for (const t of seen.tokens) secrets.set(t.token, `access token ${t.jti}`);
    for (const t of seen.refreshTokens) secrets.set(t.token, `refresh token of grant ${t.grantId}`);
    for (const c of seen.clients) if (c.clientSecret) secrets.set(c.clientSecret, `client secret of ${c.clientId}`);
    for (const r of seen.authorizationRequests) if (r.params.state) secrets.set(r.params.state, 'sign-in state');
    for (const r of seen.tokenRequests) {
      if (r.params.code) secrets.set(r.params.code, 'authorization code');
      if (r.params.code_verifier) secrets.set(r.params.code_verifier, 'PKCE verifier');
      if (r.params.refresh_token) secrets.set(r.params.refresh_token, 'refresh token presented');
    }
    return secrets;
  }

  authServer(name: string): MockAuthServer {
    const server = this.authServers.get(name);
    if (!server) throw new Error(`no authorization server "${name}" in this scenario`);
    return server;
  }

  /** A protected MCP server registered as an upstream of switchboard (it must be started before switchboard). */
  async startProtected(name: string, authServer: string, options: Omit<ProtectedMcpServerOptions, 'authServer'> = {}): Promise<ProtectedMcpServer> {
    const server = await startProtectedMcpServer({ ...options, name, authServer: this.authServer(authServer) });
    this.protectedServers.set(name, server);
    this.world.upstreams.set(name, { kind: 'streamable-http', spec: { name }, settings: {}, url: server.url });
    return server;
  }

  protectedServer(name: string): ProtectedMcpServer {
    const server = this.protectedServers.get(name);
    if (!server) throw new Error(`no protected server "${name}" in this scenario`);
    return server;
  }

  /** Plays the browser: opens the authorization URL, lets the (auto-approving) server redirect, follows to the callback. */
  async approve(authorizationUrl: string, rewriteCallback: (url: URL) => URL = (url) => url): Promise<SignInOutcome> {
    const authorize = await fetch(authorizationUrl, { redirect: 'manual' });
    const location = authorize.headers.get('location');
    if (authorize.status < 300 || authorize.status >= 400 || !location) {
      throw new Error(`the authorization server did not redirect (HTTP ${authorize.status}): ${(await authorize.text()).slice(0, 300)}`);
    }
    const callbackUrl = rewriteCallback(new URL(location, authorizationUrl));
    const callbackSentAt = performance.now();
    const callback = await fetch(callbackUrl);
    const text = htmlText(await callback.text());
    this.lastSignIn = { status: callback.status, text, callbackUrl: callbackUrl.href, callbackSentAt, callbackAnsweredAt: performance.now() };
    return this.lastSignIn;
  }

  async close(): Promise<void> {
    await Promise.all([...this.protectedServers.values()].map((s) => s.close()));
    await Promise.all([...this.authServers.values()].map((s) => s.close()));
  }
}

function htmlText(html: string): string {
  return html.replace(/<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
}

const fixtures = new WeakMap<SwitchboardWorld, AuthFixture>();

export function auth(world: SwitchboardWorld): AuthFixture {
  let fixture = fixtures.get(world);
  if (!fixture) {
    fixture = new AuthFixture(world);
    fixtures.set(world, fixture);
  }
  return fixture;
}

// Runs after the World's own cleanup hook (cucumber runs After hooks in reverse order of definition).
After(async function (this: SwitchboardWorld) {
  await fixtures.get(this)?.close();
});
