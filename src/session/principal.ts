/**
 * Who owns a view's upstream connections, sign-ins and tokens. SEP-2567: per-principal state hangs on the caller's
 * identity, never on a connection, so a modern (2026-07-28) request, which has no session, needs one of these.
 *
 * - `session`: a legacy (2025-11-25) session is its own principal (today's per-session behaviour);
 * - `local-user`: the user running switchboard, for stdio and for modern requests on a loopback bind;
 * - `none`: a modern request on a non-loopback bind without a front door: public servers only, no sign-ins.
 */
export type Principal =
  | { kind: 'session'; id: string }
  | { kind: 'local-user'; name: string }
  | { kind: 'none' };

/** The string that keys a principal's tokens and sign-ins (the auth layer's principal id). */
export function principalKey(principal: Principal): string {
  switch (principal.kind) {
    case 'session': return principal.id;
    // Kept as it was when the stdio session was the only local-user view, so stored sign-ins stay valid.
    case 'local-user': return `stdio:${principal.name}`;
    case 'none': return 'none';
  }
}
