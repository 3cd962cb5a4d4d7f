import type { SwitchboardWorld } from './world.js';

/** One audit event as switchboard wrote it (src/audit). */
export interface AuditEntry {
  audit: boolean;
  time: string;
  user: string;
  action: string;
  resourceType: string;
  resourceId: string;
  outcome: string;
  reason?: string;
  issuer?: string;
}

/** The audit events of the scenario so far, as written to switchboard's audit destination. */
export function auditEvents(world: SwitchboardWorld): AuditEntry[] {
  return world.auditLines.map((line) => JSON.parse(line) as AuditEntry);
}
