import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../src/config/index.js';
import { signedInUser, sessionPrincipal } from '../src/principal/index.js';
import { AuthManager } from '../src/auth/index.js';
import { createLogger } from '../src/log/index.js';
import { createTokenStore } from '../src/store/index.js';

const IDP = 'https://idp.example.com';
const server = { url: 'https://jira.example.com/mcp', auth: { crossAppAccess: true } };

describe('cross-app access configuration', () => {
  it('behind the front door: the IdP defaults to the front door\'s issuer, and no ID token may be configured', () => {
    const config = parseConfig({ mcpServers: { jira: server }, inboundAuth: { issuer: IDP }, crossAppAccess: { clientId: 'switchboard' } }, 'c.yaml');
    assert.equal(config.crossAppAccess?.idp, undefined);
    assert.deepEqual(config.crossAppAccess?.issuers, []);
    assert.throws(
      () => parseConfig({ mcpServers: {}, inboundAuth: { issuer: IDP }, crossAppAccess: { clientId: 'switchboard', idToken: 'eyJ.x.y' } }, 'c.yaml'),
      /crossAppAccess\.idToken: not with inboundAuth/,
    );
  });

  it('without a front door: the IdP and the one user\'s ID token are required', () => {
    assert.throws(() => parseConfig({ mcpServers: {}, crossAppAccess: { clientId: 'switchboard', idp: IDP } }, 'c.yaml'), /crossAppAccess\.idToken: required without inboundAuth/);
    assert.throws(() => parseConfig({ mcpServers: {}, crossAppAccess: { clientId: 'switchboard', idToken: 'eyJ.x.y' } }, 'c.yaml'), /crossAppAccess\.idp: required without inboundAuth/);
  });

  it('a server that asks for cross-app access needs the top-level settings', () => {
    assert.throws(() => parseConfig({ mcpServers: { jira: server } }, 'c.yaml'), /mcpServers\.jira\.auth\.crossAppAccess: needs the top-level crossAppAccess/);
  });
});

describe('identity assertions', () => {
  const logger = createLogger({ level: 'silent', pretty: false });

  it('keep each user\'s verified front door token until it expires, and nobody else\'s', () => {
    const config = parseConfig({ mcpServers: {}, inboundAuth: { issuer: IDP }, crossAppAccess: { clientId: 'switchboard' } }, 'c.yaml');
    const { identityAssertions } = new AuthManager(config, createTokenStore({ url: 'memory:', logger }), logger);
    const alice = signedInUser(IDP, 'alice');
    assert.equal(identityAssertions.wanted, true);
    identityAssertions.remember(alice, 'alice-token', Date.now() / 1000 + 60);
    identityAssertions.remember(signedInUser(IDP, 'bob'), 'bob-token', Date.now() / 1000 - 1);
    assert.deepEqual(identityAssertions.assertionFor(alice), { token: 'alice-token', type: 'urn:ietf:params:oauth:token-type:access_token' });
    assert.equal(identityAssertions.assertionFor(signedInUser(IDP, 'bob')), undefined, 'an expired token is no assertion');
    assert.equal(identityAssertions.assertionFor(signedInUser(IDP, 'carol')), undefined);
  });

  it('without a front door, the configured ID token is the one user\'s, and nothing presented is kept', () => {
    const config = parseConfig({ mcpServers: {}, crossAppAccess: { clientId: 'switchboard', idp: IDP, idToken: 'the-id-token' } }, 'c.yaml');
    const { identityAssertions } = new AuthManager(config, createTokenStore({ url: 'memory:', logger }), logger);
    assert.equal(identityAssertions.wanted, false);
    assert.deepEqual(identityAssertions.assertionFor(sessionPrincipal('s1')), { token: 'the-id-token', type: 'urn:ietf:params:oauth:token-type:id_token' });
  });

  it('hold nothing when cross-app access is not configured', () => {
    const config = parseConfig({ mcpServers: {}, inboundAuth: { issuer: IDP } }, 'c.yaml');
    const { identityAssertions } = new AuthManager(config, createTokenStore({ url: 'memory:', logger }), logger);
    identityAssertions.remember(signedInUser(IDP, 'alice'), 'alice-token', Date.now() / 1000 + 60);
    assert.equal(identityAssertions.assertionFor(signedInUser(IDP, 'alice')), undefined);
  });
});
