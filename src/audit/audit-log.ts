import { pino, type DestinationStream, type Logger } from 'pino';
import { REDACTED_KEYS } from '../log/index.js';
import type { Principal } from '../principal/index.js';

/**
 * What happened. Sign-ins and sign-outs are upstream OAuth sign-ins (the authenticate_<server> tool, the callback,
 * switchboard_sign_out); `token.refresh` is recorded when a refresh fails; `access` is a permission denial (a missing
 * scope, a server the user may not see, another user's session). The server actions are the admin API's (a refusal
 * for want of its scope is recorded under the action refused), `config.reload` the configuration file's hot reload.
 */
export type AuditAction =
  | 'sign_in'
  | 'sign_out'
  | 'token.refresh'
  | 'access'
  | 'server.read'
  | 'server.create'
  | 'server.update'
  | 'server.delete'
  | 'config.reload';

export type AuditResourceType = 'server' | 'tool' | 'prompt' | 'resource' | 'session' | 'endpoint' | 'config';

export type AuditOutcome = 'success' | 'failure' | 'denied';

/** One audit event. Every field is written as it is: none may hold a token, code, verifier, secret or key. */
export interface AuditEvent {
  /** Who: see auditUser(). */
  user: string;
  action: AuditAction;
  resourceType: AuditResourceType;
  resourceId: string;
  outcome: AuditOutcome;
  /** Why, for a failure or denial (a secret-free error text or a short phrase). */
  reason?: string;
  /** The authorization server concerned, for sign-ins and refreshes. */
  issuer?: string;
}

/**
 * The user an event names: the front door's subject for a signed-in user (its issuer is the front door's, one per
 * deployment), `local:<name>` for the person at this machine, `session:<id>` for a 2025 session that is its own
 * principal, `anonymous` when nobody is known.
 */
export function auditUser(principal: Principal | undefined): string {
  if (!principal) return 'anonymous';
  switch (principal.kind) {
    case 'user':
      return principal.subject;
    case 'local-user':
      return `local:${principal.username}`;
    case 'session':
      return `session:${principal.sessionId}`;
  }
}

/** What records audit events; small enough to fake in a test. */
export interface AuditRecorder {
  record(event: AuditEvent): void;
}

/** Where audit events go: `audit.file` (appended, written synchronously so none is lost in a crash), or a stream. */
export type AuditDestination = { file: string } | { fd: 1 | 2 } | { stream: DestinationStream };

/**
 * switchboard's audit trail: one JSON line per event, with `audit: true`, the ISO `time` and the event's fields, on
 * its own destination (apart from the operational log, so that it can be kept, shipped and read on its own).
 */
export class AuditLog implements AuditRecorder {
  private readonly logger: Logger;

  constructor(destination: AuditDestination) {
    const stream = 'stream' in destination ? destination.stream
      : 'file' in destination ? pino.destination({ dest: destination.file, sync: true, mkdir: true, append: true })
        : pino.destination({ fd: destination.fd, sync: true });
    this.logger = pino({
      base: { audit: true },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      // A second line of defence, as in the operational log: no field of an event is ever meant to carry a secret.
      redact: { paths: REDACTED_KEYS, censor: '[redacted]' },
    }, stream);
  }

  record(event: AuditEvent): void {
    const { reason, issuer, ...fields } = event;
    this.logger.info({ ...fields, ...(reason !== undefined ? { reason } : {}), ...(issuer !== undefined ? { issuer } : {}) }, `${event.action} ${event.outcome}`);
  }

  /** Pending writes are flushed (a file destination writes synchronously: nothing to wait for). */
  flush(): void {
    this.logger.flush();
  }
}

/** An audit log that keeps nothing, for code paths that run without one (unit tests, tools). */
export const NO_AUDIT: AuditRecorder = { record() {} };
