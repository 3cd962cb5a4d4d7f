/**
 * switchboard's audit trail (issue 8): sign-ins, sign-outs, refresh failures and permission denials, and the
 * runtime server changes (create, update, delete, hot reload), one structured event each, on its own destination.
 *
 *   const audit = new AuditLog(config.audit.file ? { file: config.audit.file } : { fd: 1 });
 *   audit.record({ user: auditUser(principal), action: 'server.create', resourceType: 'server', resourceId: 'jira', outcome: 'success' });
 *   audit.record({ user: 'alice', action: 'config.reload', resourceType: 'config', resourceId: path, outcome: 'failure', reason: error.message });
 */
export {
  AuditLog,
  NO_AUDIT,
  auditUser,
  type AuditAction,
  type AuditDestination,
  type AuditEvent,
  type AuditOutcome,
  type AuditRecorder,
  type AuditResourceType,
} from './audit-log.js';
