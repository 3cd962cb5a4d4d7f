import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AuthManager, SignInState, type CompletedSignIn, type ServerAuthInfo, type SignedIn, type TokenService } from '../src/auth/index.js';
import type { AuthorizationServerMetadata } from '../src/auth/discovery/index.js';
import { GrantRevokedError, NotSignedInError, StepUpLimitError, TokenRequestError } from '../src/auth/index.js';
import { parseConfig } from '../src/config/index.js';
import { createLogger } from '../src/log/index.js';
import { localUser, sessionPrincipal, signedInUser, type Principal } from '../src/principal/index.js';
import { createTokenStore, type AccessToken, type TokenStore } from '../src/store/index.js';
import { startMockAuthServer, type MockAuthServer } from '../mock-servers/oauth/index.js';
import { startRedis, type RedisServer } from './support/redis.js';

// The sign-in state of one principal (src/auth/sign-in-state.ts): first against a fake TokenService, so each decision
// is seen alone; then against the real AuthManager, the real memory and Redis stores and a real authorization server
// on loopback, for single sign-on and the end of a session, with every kind of principal.

const logger = createLogger({ level: 'silent', pretty: false });
const CORP = 'https://corp.example';
const OTHER = 'https://other.example';
const ISSUERS: Record<string, string> = { jira: CORP, wiki: CORP, docs: CORP, crm: OTHER };
const UNAUTHORIZED = { status: 401 as const, wwwAuthenticate: 'Bearer realm="mcp"' };

function infoOf(server: string): ServerAuthInfo {
  return { server, resource: `https://${server}.example/mcp`, issuer: ISSUERS[server]!, metadata: {} as AuthorizationServerMetadata };
}

function token(value: string, scope?: string): AccessToken {
  return { value, tokenType: 'Bearer', audienceRestricted: true, ...(scope ? { scope } : {}) };
}

/** A TokenService that records what it was asked and answers what the test says. */
function fakeTokens() {
  const stored = new Map<string, AccessToken>();
  const calls = { beginSignIn: [] as { server: string; scope?: string; alsoFor: readonly string[] }[], signOut: [] as { issuer: string; resource?: string }[], forgotten: [] as Principal[] };
  let hear: ((event: CompletedSignIn) => void) | undefined;
  let refreshFails: Error | undefined;
  const service: TokenService = {
    resolve: async (server) => infoOf(server),
    tokenFor: async (_principal, info, rejected) => {
      if (refreshFails) throw refreshFails;
      const found = stored.get(info.resource);
      return found?.value === rejected ? undefined : found;
    },
    beginSignIn: async (_principal, info, scope, alsoFor) => {
      calls.beginSignIn.push({ server: info.server, scope, alsoFor });
      return { authorizationUrl: `${info.issuer}/authorize?state=s${calls.beginSignIn.length}`, state: `s${calls.beginSignIn.length}` };
    },
    onSignIn: (listener) => {
      hear = listener;
      return () => (hear = undefined);
    },
    signOut: async (_principal, issuer, resource) => void calls.signOut.push({ issuer, ...(resource ? { resource } : {}) }),
    forgetSession: async (principal) => void calls.forgotten.push(principal),
  };
  return {
    service,
    calls,
    /** The authorization server gave this principal a token for these servers (the grant behind a sign-in). */
    grant: (...servers: string[]) => servers.forEach((s) => stored.set(infoOf(s).resource, token(`at-${s}-${randomUUID()}`))),
    failTokens: (error: Error | undefined) => (refreshFails = error),
    /** The OAuth callback of a sign-in arrived. */
    complete: (event: CompletedSignIn) => hear?.(event),
    get listening() {
      return hear !== undefined;
    },
  };
}

/** The servers refuse this principal until a sign-in: as the upstream fetch reports a 401 without a usable token. */
async function refusedBy(state: SignInState, ...servers: string[]): Promise<void> {
  for (const server of servers) assert.equal(await state.credentials(server).rejected(UNAUTHORIZED, undefined), false);
}

function nextSignedIn(state: SignInState): Promise<SignedIn> {
  return new Promise((resolve) => {
    const stop = state.onSignedIn((event) => {
      stop();
      resolve(event);
    });
  });
}

describe('a principal\'s sign-in state', () => {
  const alice = sessionPrincipal('session-alice');

  it('knows nothing needs a sign-in until a server refuses, then says why and where', async () => {
    const state = new SignInState(fakeTokens().service, alice, logger);
    assert.equal(state.need('jira'), undefined);
    assert.equal(await state.credentials('jira').rejected({ status: 401, wwwAuthenticate: 'Bearer scope="read:jira"' }, undefined), false);
    assert.equal(state.need('jira'), 'auth_required');
    assert.equal(state.credentials('jira').authState(), 'auth_required');
    assert.deepEqual(state.authRequired(['jira', 'wiki'], (s) => `authenticate_${s}`), [{ server: 'jira', issuer: CORP, scope: 'read:jira', auth_tool: 'authenticate_jira' }]);
  });

  it('a pending sign-in asks for the resources of every server behind the issuer that the principal has met', async () => {
    const tokens = fakeTokens();
    const state = new SignInState(tokens.service, alice, logger);
    await refusedBy(state, 'jira', 'wiki', 'crm');
    const started = await state.begin('jira');
    assert.equal(started.status, 'auth_required');
    assert.equal(started.status === 'auth_required' && started.issuer, CORP);
    assert.deepEqual(tokens.calls.beginSignIn, [{ server: 'jira', scope: undefined, alsoFor: [infoOf('wiki').resource] }]);
  });

  it('single sign-on: a completed sign-in connects every waiting server of its issuer, and completes the elicitation that asked', async () => {
    const tokens = fakeTokens();
    const state = new SignInState(tokens.service, alice, logger);
    await refusedBy(state, 'jira', 'wiki', 'crm');
    const started = await state.begin('jira');
    assert.ok(started.status === 'auth_required');
    state.trackElicitation('jira', started.state, 'elicitation-1');
    const signedIn = nextSignedIn(state);
    tokens.grant('jira', 'wiki');
    tokens.complete({ principal: sessionPrincipal('session-alice'), server: 'jira', issuer: CORP, state: started.state });
    assert.deepEqual(await signedIn, { connect: ['jira', 'wiki'], elicitationId: 'elicitation-1' });
    assert.equal(state.need('jira'), undefined);
    assert.equal(state.need('wiki'), undefined);
    assert.equal(state.need('crm'), 'auth_required', 'another issuer is not signed in by this one');
    assert.match((await state.credentials('wiki').headers())?.authorization ?? '', /^Bearer at-wiki-/);
  });

  for (const [kind, mine, theirs] of [
    ['session', sessionPrincipal('s-1'), sessionPrincipal('s-2')],
    ['local user', localUser('alice'), localUser('bob')],
    ['signed-in user', signedInUser('https://front.example', 'alice'), signedInUser('https://front.example', 'bob')],
  ] as const) {
    it(`hears only the sign-ins of its own principal (${kind})`, async () => {
      const tokens = fakeTokens();
      const state = new SignInState(tokens.service, mine, logger);
      await refusedBy(state, 'jira');
      const heard: SignedIn[] = [];
      state.onSignedIn((event) => heard.push(event));
      tokens.complete({ principal: theirs, server: 'jira', issuer: CORP, state: 's' });
      assert.deepEqual(heard, []);
      assert.equal(state.need('jira'), 'auth_required');
      // An equal principal built anew (the callback reads it back from the store) is the same principal.
      tokens.complete({ principal: structuredClone(mine), server: 'jira', issuer: CORP, state: 's' });
      assert.deepEqual(heard, [{ connect: ['jira'] }]);
    });
  }

  it('counts step-ups for a wider scope, asks for the union of scopes, and gives up at the third', async () => {
    const tokens = fakeTokens();
    const state = new SignInState(tokens.service, alice, logger);
    const jira = state.credentials('jira');
    await refusedBy(state, 'jira');
    for (const [i, scope] of ['write', 'admin'].entries()) {
      assert.equal(await jira.rejected({ status: 403, wwwAuthenticate: `Bearer error="insufficient_scope", scope="${scope}"` }, undefined), false);
      assert.equal(state.need('jira'), 'auth_required');
      const started = await state.begin('jira');
      assert.equal(started.status, 'auth_required', `step-up ${i + 1} starts a sign-in`);
    }
    assert.deepEqual(tokens.calls.beginSignIn.map((c) => c.scope), ['write', 'write admin']);
    await jira.rejected({ status: 403, wwwAuthenticate: 'Bearer error="insufficient_scope", scope="audit"' }, undefined);
    await assert.rejects(state.begin('jira'), (error: unknown) => error instanceof StepUpLimitError && error.stepUps === 3);
    assert.equal(tokens.calls.beginSignIn.length, 2);
  });

  it('a step-up never settles for the sign-in that is stored already', async () => {
    const tokens = fakeTokens();
    const state = new SignInState(tokens.service, alice, logger);
    await refusedBy(state, 'jira');
    tokens.grant('jira');
    await state.credentials('jira').rejected({ status: 403, wwwAuthenticate: 'Bearer error="insufficient_scope", scope="write"' }, undefined);
    assert.equal((await state.begin('jira')).status, 'auth_required');
  });

  it('offers a sign-in stored by another replica once, then starts a new one if the server still refuses', async () => {
    const tokens = fakeTokens();
    const state = new SignInState(tokens.service, alice, logger);
    await refusedBy(state, 'jira', 'wiki');
    tokens.grant('jira', 'wiki');
    assert.deepEqual(await state.begin('jira'), { status: 'signed_in', connect: ['jira', 'wiki'] });
    assert.equal(state.need('jira'), undefined);
    // The connection tried the stored token, and the server refused it.
    const sent = await state.credentials('jira').headers();
    tokens.failTokens(undefined);
    assert.equal(await state.credentials('jira').rejected(UNAUTHORIZED, sent), false);
    assert.equal(state.need('jira'), 'auth_required');
    assert.equal((await state.begin('jira')).status, 'auth_required');
  });

  it('a revoked sign-in waits for a sign-in again (reauth_required)', async () => {
    const tokens = fakeTokens();
    const state = new SignInState(tokens.service, alice, logger);
    await refusedBy(state, 'jira');
    tokens.grant('jira');
    tokens.complete({ principal: alice, server: 'jira', issuer: CORP, state: 's' });
    tokens.failTokens(new GrantRevokedError(CORP));
    const jira = state.credentials('jira');
    assert.equal(await jira.rejected(UNAUTHORIZED, { authorization: 'Bearer old' }), false);
    assert.equal(state.need('jira'), 'reauth_required');
    assert.equal(jira.authState(), 'reauth_required');
    assert.match(state.describe('jira').problem ?? '', /sign in again/);
  });

  it('a passing outage of the token endpoint fails the request instead of asking for a sign-in', async () => {
    const tokens = fakeTokens();
    const state = new SignInState(tokens.service, alice, logger);
    await refusedBy(state, 'jira');
    tokens.grant('jira');
    tokens.complete({ principal: alice, server: 'jira', issuer: CORP, state: 's' });
    tokens.failTokens(new TokenRequestError('temporarily_unavailable', 503));
    await assert.rejects(state.credentials('jira').rejected(UNAUTHORIZED, { authorization: 'Bearer old' }), TokenRequestError);
    assert.equal(state.need('jira'), undefined);
  });

  it('signing out of one server keeps the grant its signed-in siblings use, and single sign-on does not bring it back', async () => {
    const tokens = fakeTokens();
    const state = new SignInState(tokens.service, alice, logger);
    await refusedBy(state, 'jira', 'wiki', 'docs');
    tokens.grant('jira', 'wiki', 'docs');
    tokens.complete({ principal: alice, server: 'jira', issuer: CORP, state: 's1' });
    assert.deepEqual(await state.signOut('jira', false), ['jira']);
    assert.deepEqual(tokens.calls.signOut, [{ issuer: CORP, resource: infoOf('jira').resource }]);
    assert.equal(state.need('jira'), 'auth_required');
    assert.equal(await state.credentials('jira').headers(), undefined, 'no token is sent after signing out');
    assert.equal(state.need('wiki'), undefined);
    // Another server of the issuer signs in again: jira stays signed out until the person signs in to it.
    await state.signOut('wiki', false);
    const signedIn = nextSignedIn(state);
    tokens.complete({ principal: alice, server: 'wiki', issuer: CORP, state: 's2' });
    assert.deepEqual(await signedIn, { connect: ['wiki'] });
    assert.equal(state.need('jira'), 'auth_required');
  });

  it('signing out of the last signed-in server of an issuer, or of the issuer, deletes the grant', async () => {
    const tokens = fakeTokens();
    const state = new SignInState(tokens.service, alice, logger);
    await refusedBy(state, 'jira', 'wiki', 'crm');
    tokens.complete({ principal: alice, server: 'jira', issuer: CORP, state: 's1' });
    tokens.complete({ principal: alice, server: 'crm', issuer: OTHER, state: 's2' });
    assert.deepEqual(await state.signOut('jira', true), ['jira', 'wiki']);
    assert.deepEqual(await state.signOut('crm', false), ['crm']);
    assert.deepEqual(tokens.calls.signOut, [{ issuer: CORP }, { issuer: OTHER }]);
    assert.equal(state.need('wiki'), 'auth_required');
    await assert.rejects(state.signOut('docs', false), NotSignedInError);
  });

  it('forgets the tokens at the end only for a session principal that ended, and stops listening', async () => {
    for (const [principal, forgetTokens, forgotten] of [
      [sessionPrincipal('ended'), true, true],
      [sessionPrincipal('process-stopping'), false, false],
      [localUser('alice'), true, false],
      [signedInUser(CORP, 'alice'), true, false],
    ] as const) {
      const tokens = fakeTokens();
      const state = new SignInState(tokens.service, principal, logger);
      await state.close({ forgetTokens });
      assert.deepEqual(tokens.calls.forgotten, forgotten ? [principal] : [], `${principal.kind}, forgetTokens ${forgetTokens}`);
      assert.equal(tokens.listening, false);
    }
  });
});

// --- with the real parts ---

const REDIRECT_URI = 'http://127.0.0.1:8080/oauth/callback';

function authConfig(as: MockAuthServer) {
  const server = (path: string) => ({
    url: `http://127.0.0.1:9/${path}`,
    // Endpoints and client given outright: no discovery; the authorization server is real.
    auth: { issuer: as.issuer, authorizationEndpoint: as.endpoints.authorization, tokenEndpoint: as.endpoints.token, clientId: 'switchboard' },
  });
  return parseConfig({ mcpServers: { jira: server('jira'), wiki: server('wiki') }, publicUrl: 'http://127.0.0.1:8080' }, 'test');
}

/** The person opens the sign-in URL; the authorization server approves at once and redirects to the callback. */
async function approve(authorizationUrl: string): Promise<URL> {
  const response = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = response.headers.get('location');
  assert.ok(location?.startsWith(REDIRECT_URI), `no redirect to the callback: ${response.status}`);
  return new URL(location!);
}

for (const backend of ['memory', 'redis'] as const) {
  describe(`sign-in state with the AuthManager and the ${backend} store`, () => {
    let as: MockAuthServer;
    let redis: RedisServer | undefined;
    let store: TokenStore;
    let auth: AuthManager;

    before(async () => {
      as = await startMockAuthServer({ preRegisteredClients: [{ clientId: 'switchboard', redirectUris: [REDIRECT_URI] }] });
      if (backend === 'redis') redis = await startRedis();
      store = createTokenStore({ url: redis?.url ?? 'memory:', secret: redis ? 'a-test-secret-of-at-least-32-characters' : undefined, logger });
      auth = new AuthManager(authConfig(as), store, logger);
    });
    after(async () => {
      await store.close();
      await redis?.stop();
      await as.close();
    });

    for (const principal of [sessionPrincipal(randomUUID()), localUser(`user-${randomUUID()}`), signedInUser(CORP, randomUUID())]) {
      it(`one sign-in gives every server of the issuer its own token (${principal.kind})`, async () => {
        const state = new SignInState(auth, principal, logger);
        const bystander = new SignInState(auth, sessionPrincipal(randomUUID()), logger);
        await refusedBy(state, 'jira', 'wiki');
        await refusedBy(bystander, 'jira');
        const started = await state.begin('jira');
        assert.ok(started.status === 'auth_required');
        const signedIn = nextSignedIn(state);
        await auth.completeSignIn(await approve(started.authorizationUrl));
        assert.deepEqual((await signedIn).connect, ['jira', 'wiki']);

        const [jira, wiki] = await Promise.all([state.credentials('jira').headers(), state.credentials('wiki').headers()]);
        const issued = as.inspect().tokens;
        const audienceOf = (headers: Record<string, string> | undefined) => issued.find((t) => `Bearer ${t.token}` === headers?.authorization)?.aud;
        // RFC 8707: each server gets a token for its own resource, the second through the refresh token.
        assert.equal(audienceOf(jira), 'http://127.0.0.1:9/jira');
        assert.equal(audienceOf(wiki), 'http://127.0.0.1:9/wiki');
        assert.equal(bystander.need('jira'), 'auth_required');
        assert.equal(await bystander.credentials('jira').headers(), undefined, 'another principal gets no token');

        // The end: a session's grant goes with it; the local user's and a signed-in user's stay for their next session.
        await state.close({ forgetTokens: true });
        await bystander.close({ forgetTokens: true });
        const kept = await store.getGrant(principal, as.issuer);
        assert.equal(kept !== undefined, principal.kind !== 'session');
        if (principal.kind !== 'session') {
          // Its next session's first 401 is answered with the stored sign-in: nobody is asked to sign in again.
          const next = new SignInState(auth, structuredClone(principal), logger);
          assert.equal(await next.credentials('jira').rejected(UNAUTHORIZED, undefined), true);
          assert.equal(next.need('jira'), undefined);
          await next.close({ forgetTokens: true });
        }
      });
    }

    it('the sign-in that completes is the one of the principal that started it', async () => {
      const [bob, carol] = [signedInUser(CORP, 'bob'), signedInUser(CORP, 'carol')];
      const started = await auth.beginSignIn(bob, await auth.resolve('jira'), undefined);
      const done = await auth.completeSignIn(await approve(started.authorizationUrl));
      assert.deepEqual(done.principal, bob);
      assert.ok(await store.getGrant(bob, as.issuer));
      assert.equal(await store.getGrant(carol, as.issuer), undefined);
    });
  });
}

// Type-level: only a session's grants can be forgotten. A local user's cannot even be passed.
// @ts-expect-error deleting the local user's grants is not a thing a session end may do
void ((store: TokenStore) => store.deletePrincipal(localUser('alice')));
