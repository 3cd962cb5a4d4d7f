import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AuditLog, auditUser } from '../src/audit/index.js';
import { localUser, sessionPrincipal, signedInUser } from '../src/principal/index.js';

describe('the audit trail', () => {
  it('appends one JSON line per event to audit.file, with audit: true, the ISO time and every field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'audit-'));
    try {
      const file = join(dir, 'nested', 'audit.log');
      const first = new AuditLog({ file });
      first.record({ user: 'alice', action: 'sign_in', resourceType: 'server', resourceId: 'jira', outcome: 'success', issuer: 'https://corp' });
      // A second process (or a restart) appends; nothing is lost.
      new AuditLog({ file }).record({ user: 'bob', action: 'server.delete', resourceType: 'server', resourceId: 'jira', outcome: 'denied', reason: 'the token lacks the scope servers.delete' });
      const lines = (await readFile(file, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.equal(lines.length, 2);
      const [signIn, deletion] = lines;
      assert.equal(signIn!.audit, true);
      assert.ok(typeof signIn!.time === 'string' && !Number.isNaN(Date.parse(signIn!.time)), String(signIn!.time));
      assert.deepEqual(
        [signIn!.user, signIn!.action, signIn!.resourceType, signIn!.resourceId, signIn!.outcome, signIn!.issuer, signIn!.reason],
        ['alice', 'sign_in', 'server', 'jira', 'success', 'https://corp', undefined],
      );
      assert.deepEqual([deletion!.user, deletion!.outcome, deletion!.reason], ['bob', 'denied', 'the token lacks the scope servers.delete']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('censors secret-bearing fields should one ever be passed', () => {
    const lines: string[] = [];
    const audit = new AuditLog({ stream: { write: (line: string) => void lines.push(line) } });
    audit.record({ user: 'alice', action: 'sign_in', resourceType: 'server', resourceId: 'jira', outcome: 'success', ...{ token: 'eyJ.secret.value' } } as never);
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]!.includes('eyJ.secret.value'), lines[0]);
  });

  it('names users by who they are, never by a token', () => {
    assert.equal(auditUser(signedInUser('https://idp', 'alice')), 'alice');
    assert.equal(auditUser(localUser('dev')), 'local:dev');
    assert.equal(auditUser(sessionPrincipal('s-1')), 'session:s-1');
    assert.equal(auditUser(undefined), 'anonymous');
  });
});
