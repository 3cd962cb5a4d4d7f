import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidPrincipalError, localUser, principalKey, samePrincipal, sessionPrincipal, signedInUser } from '../src/principal/index.js';

describe('principals and their store keys', () => {
  it('gives every kind its own key, so equal parts of different kinds never meet', () => {
    const keys = [sessionPrincipal('alice'), localUser('alice'), signedInUser('alice', 'alice')].map(principalKey);
    assert.equal(new Set(keys).size, 3);
  });

  it('keeps separators inside the parts from shifting a boundary', () => {
    assert.notEqual(principalKey(signedInUser('https://a.example:b', 'c')), principalKey(signedInUser('https://a.example', 'b:c')));
    assert.notEqual(principalKey(sessionPrincipal('x:y')), principalKey(sessionPrincipal('x%3Ay')));
  });

  it('keys a signed-in user by issuer and subject: the same person at another issuer is someone else', () => {
    assert.ok(samePrincipal(signedInUser('https://front.example', 'alice'), signedInUser('https://front.example', 'alice')));
    assert.ok(!samePrincipal(signedInUser('https://front.example', 'alice'), signedInUser('https://other.example', 'alice')));
    assert.ok(!samePrincipal(sessionPrincipal('s1'), sessionPrincipal('s2')));
  });

  it('keeps the key the local user had when stdio was its only kind, so stored sign-ins survive the upgrade', () => {
    assert.equal(principalKey(localUser('alice')), 'stdio:alice');
  });

  it('refuses empty parts', () => {
    assert.throws(() => sessionPrincipal(''), InvalidPrincipalError);
    assert.throws(() => localUser(''), InvalidPrincipalError);
    assert.throws(() => signedInUser('https://front.example', ''), InvalidPrincipalError);
    assert.throws(() => signedInUser('', 'alice'), InvalidPrincipalError);
  });
});
