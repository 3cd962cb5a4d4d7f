import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { AuthManager } from '../src/auth/index.js';
import { TokenRequestError, UnknownStateError } from '../src/auth/index.js';
import { parseConfig } from '../src/config/index.js';
import { createLogger } from '../src/log/index.js';
import { sessionPrincipal } from '../src/principal/index.js';
import { createTokenStore } from '../src/store/index.js';

// The OAuth state of a sign-in lives 10 minutes (RFC 6749 section 10.12 wants it short-lived). Waiting 10 minutes is
// no test, and a fake clock cannot run under the BDD suite's real servers, so the expiry is checked here, on the
// AuthManager and the memory store, with node:test's fake Date. The token endpoint is a closed port: no request
// leaves the machine, and a callback that gets past the state check fails at the code exchange instead.

const TOKEN_ENDPOINT = 'http://127.0.0.1:9/token';

function manager(): AuthManager {
  const config = parseConfig({
    mcpServers: {
      jira: {
        url: 'http://127.0.0.1:9/mcp',
        // Endpoints and client given outright: discovery and registration need no network.
        auth: { issuer: 'http://127.0.0.1:9', authorizationEndpoint: 'http://127.0.0.1:9/authorize', tokenEndpoint: TOKEN_ENDPOINT, clientId: 'switchboard' },
      },
    },
    publicUrl: 'http://127.0.0.1:8080',
  }, 'test');
  const logger = createLogger({ level: 'silent', pretty: false });
  return new AuthManager(config, createTokenStore({ url: 'memory:', logger }), logger);
}

async function startSignIn(auth: AuthManager): Promise<URL> {
  const info = await auth.resolve('jira');
  const { authorizationUrl, state } = await auth.beginSignIn(sessionPrincipal('session-1'), info, undefined);
  assert.equal(new URL(authorizationUrl).searchParams.get('state'), state);
  const callback = new URL(`${auth.redirectUri}?code=a-code&state=${state}`);
  return callback;
}

describe('the state of a sign-in', () => {
  afterEach(() => mock.timers.reset());

  it('is refused once 10 minutes have passed', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const auth = manager();
    const callback = await startSignIn(auth);
    mock.timers.tick(10 * 60_000 + 1);
    await assert.rejects(auth.completeSignIn(callback), UnknownStateError);
  });

  it('is still accepted just before 10 minutes', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const auth = manager();
    const callback = await startSignIn(auth);
    mock.timers.tick(10 * 60_000 - 1_000);
    // Past the state check, the code exchange is tried (and fails: nothing listens at the token endpoint).
    await assert.rejects(auth.completeSignIn(callback), TokenRequestError);
  });

  it('is single use, even when the first callback failed', async () => {
    const auth = manager();
    const callback = await startSignIn(auth);
    await assert.rejects(auth.completeSignIn(callback), TokenRequestError);
    await assert.rejects(auth.completeSignIn(callback), UnknownStateError);
  });
});
