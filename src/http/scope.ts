import { auditUser, type AuditRecorder } from '../audit/index.js';
import type { Config } from '../config/index.js';
import type { Caller } from '../front-door/index.js';
import type { Principal } from '../principal/index.js';
import { serverScope, type ServerScope, type Viewer } from '../visibility/index.js';

/** Who a caller the front door let in is, for visibility: its subject and the teams its token lists. */
export function viewerOf(caller: Caller | undefined): Viewer | undefined {
  return caller && { subject: caller.principal.subject, teams: caller.token.teams ?? [] };
}

/**
 * The servers a view of `caller` offers: a legacy session keeps the teams of the user who opened it. Without a front
 * door (no caller) every server is public.
 */
export function scopeFor(config: Config, audit: AuditRecorder, caller: Caller | undefined, principal: Principal | undefined): ServerScope {
  return serverScope({ config, viewer: viewerOf(caller), audit, user: auditUser(caller?.principal ?? principal) });
}

/** What tells two callers' views apart besides the principal: the teams they see servers with. */
export function teamsKey(caller: Caller | undefined): string {
  return [...new Set(caller?.token.teams ?? [])].sort().join('\u0000');
}
