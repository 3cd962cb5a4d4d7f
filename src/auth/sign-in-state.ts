import { auditUser, NO_AUDIT, type AuditRecorder } from '../audit/index.js';
import type { Logger } from '../log/index.js';
import { principalKey, samePrincipal, type Principal } from '../principal/index.js';
import { StoreUnavailableError, type AccessToken } from '../store/index.js';
import type { AuthChallenge, SignInCredentials } from '../upstream/index.js';
import { needsRefresh } from './access-tokens.js';
import { parseWwwAuthenticate } from './discovery/index.js';
import { GrantRevokedError, NotSignedInError, StepUpLimitError, TokenRequestError } from './errors.js';
import type { ServerAuthInfo } from './server-info.js';
import type { CompletedSignIn } from './sign-in-flow.js';
import type { TokenService } from './token-service.js';

/** MCP 2025-11-25 authorization, scope challenge handling: re-authorize for a wider scope a few times at most. */
const MAX_STEP_UPS = 3;

/** Why a server waits for a sign-in: none yet, or the previous one was revoked or expired for good. */
export type SignInNeed = 'auth_required' | 'reauth_required';

interface ServerSignIn {
  info?: ServerAuthInfo;
  /** Set when the server refused us and only a sign-in can help; cleared when a sign-in at its issuer completes. */
  need?: SignInNeed;
  /** Scope to ask for: from the last challenge, widened by insufficient_scope answers. */
  scope?: string;
  token?: AccessToken;
  stepUps: number;
  /** The refresh token was refused (RFC 6749 §5.2 invalid_grant): the sign-in must be done again. */
  revoked: boolean;
  /** The person signed out of this server: no single sign-on brings it back until they sign in to it. */
  signedOut: boolean;
  /** A sign-in stored by another replica was offered once; when the server still refuses, only a new sign-in helps. */
  offeredStored: boolean;
  /** The last reason sign-in cannot proceed (discovery or token errors), secret-free. */
  problem?: string;
  /** URL-mode elicitations sent for sign-ins still open, by OAuth state. */
  elicitations: Map<string, string>;
}

export interface AuthRequiredEntry {
  server: string;
  issuer?: string;
  scope?: string;
  auth_tool: string;
}

/** What begin() found: a sign-in to open in the browser, or one stored already (`connect`: the servers it serves now). */
export type SignInBegun =
  | { status: 'signed_in'; connect: string[] }
  | { status: 'auth_required'; authorizationUrl: string; issuer: string; state: string };

/** A sign-in of this principal completed: `connect` can connect now; the elicitation that asked for it is done. */
export interface SignedIn {
  connect: string[];
  elicitationId?: string;
}

/**
 * One principal's upstream sign-ins, and the only owner of "this server needs a sign-in": credentials for its
 * connections, which servers wait for a sign-in and why, step-ups for a wider scope, single sign-on when a sign-in at
 * an issuer completes, and sign-out. It depends only on a TokenService; it tells its user what changed (return values,
 * and `onSignedIn` for sign-ins that complete in a browser), and never reaches into connections or sessions.
 */
export class SignInState {
  private readonly servers = new Map<string, ServerSignIn>();
  private readonly listeners = new Set<(event: SignedIn) => void>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly tokens: TokenService,
    readonly principal: Principal,
    private readonly logger: Logger,
    private readonly audit: AuditRecorder = NO_AUDIT,
  ) {
    this.unsubscribe = tokens.onSignIn((event) => {
      if (samePrincipal(event.principal, principal)) this.signedIn(event);
    });
  }

  /** Hears the sign-ins of this principal that complete (the OAuth callback, here or for another session of it). */
  onSignedIn(listener: (event: SignedIn) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether, and why, a server waits for a sign-in. */
  need(server: string): SignInNeed | undefined {
    return this.servers.get(server)?.need;
  }

  /** The credentials hook for one server's connection. */
  credentials(server: string): SignInCredentials {
    return {
      kind: 'sign-in',
      identity: `${principalKey(this.principal)}\u0000${server}`,
      headers: () => this.headers(server),
      rejected: (challenge, sent) => this.rejected(server, challenge, sent),
      authState: () => this.entry(server).need ?? 'auth_required',
    };
  }

  /** Servers that need a sign-in, for `_meta` and auth://status. */
  authRequired(servers: readonly string[], toolName: (server: string) => string): AuthRequiredEntry[] {
    const result: AuthRequiredEntry[] = [];
    for (const server of servers) {
      const entry = this.servers.get(server);
      if (!entry?.need) continue;
      const scope = entry.scope ?? entry.info?.defaultScope;
      result.push({ server, ...(entry.info ? { issuer: entry.info.issuer } : {}), ...(scope ? { scope } : {}), auth_tool: toolName(server) });
    }
    return result;
  }

  describe(server: string): { issuer?: string; scope?: string; expiresAt?: string; problem?: string } {
    const entry = this.servers.get(server);
    if (!entry) return {};
    const scope = entry.scope ?? entry.token?.scope ?? entry.info?.defaultScope;
    return {
      ...(entry.info ? { issuer: entry.info.issuer } : {}),
      ...(scope ? { scope } : {}),
      ...(entry.token?.expiresAt && !entry.need ? { expiresAt: new Date(entry.token.expiresAt).toISOString() } : {}),
      ...(entry.problem ? { problem: entry.problem } : {}),
    };
  }

  /**
   * Starts a sign-in for a server (the authenticate tool; the caller knows whether its connection already works).
   * A sign-in stored already (the callback reached another replica) is offered first, once: `connect` then lists the
   * servers that wait for it, to connect again, and when the server still refuses, the next begin() starts a new one.
   */
  async begin(server: string): Promise<SignInBegun> {
    const entry = this.entry(server);
    if (entry.stepUps >= MAX_STEP_UPS) throw new StepUpLimitError(server, entry.stepUps);
    entry.info ??= await this.tokens.resolve(server);
    const issuer = entry.info.issuer;
    // Not when a wider scope or a fresh sign-in is what the server asked for.
    if (entry.stepUps === 0 && !entry.revoked && !entry.signedOut && !entry.offeredStored
      && await this.tokens.tokenFor(this.principal, entry.info).catch(() => undefined)) {
      const connect = this.clearIssuer(issuer);
      for (const name of connect) this.entry(name).offeredStored = true;
      if (connect.length) return { status: 'signed_in', connect };
      // Nothing waits for a sign-in any more: one completed (maybe on another replica, heard through the store) and
      // its servers are connecting already. A new sign-in would only ask the person again.
      if (entry.need === undefined) return { status: 'signed_in', connect: [] };
    }
    const scope = entry.scope ?? entry.info.defaultScope;
    const siblings = [...this.servers.values()].filter((e) => e !== entry && e.info?.issuer === issuer).map((e) => e.info!.resource);
    const { authorizationUrl, state } = await this.tokens.beginSignIn(this.principal, entry.info, scope, siblings);
    return { status: 'auth_required', authorizationUrl, issuer, state };
  }

  /** The server was removed or reconfigured: what was known about signing in to it is worked out again. */
  forget(server: string): void {
    this.servers.delete(server);
  }

  /** Remembers the URL-mode elicitation that asked the client to open a sign-in, to complete it later. */
  trackElicitation(server: string, state: string, elicitationId: string): void {
    this.entry(server).elicitations.set(state, elicitationId);
  }

  /**
   * Signs out of one server, or of its whole issuer, and returns the servers that now need a sign-in. Signing out of
   * one server keeps the grant that other servers of the same issuer still use; it is deleted when none does, or when
   * the person asked to leave the issuer.
   */
  async signOut(server: string, wholeIssuer: boolean): Promise<string[]> {
    const entry = this.servers.get(server);
    const info = entry?.info;
    if (!entry || !info) throw new NotSignedInError(server);
    const sameIssuer = [...this.servers].filter(([, e]) => e.info?.issuer === info.issuer).map(([name]) => name);
    const othersInUse = sameIssuer.some((name) => name !== server && this.isSignedIn(this.servers.get(name)!));
    const affected = wholeIssuer ? sameIssuer : [server];
    if (wholeIssuer || !othersInUse) await this.tokens.signOut(this.principal, info.issuer);
    else await this.tokens.signOut(this.principal, info.issuer, info.resource);
    for (const name of affected) {
      const e = this.entry(name);
      e.signedOut = true;
      e.need = 'auth_required';
    }
    this.audit.record({ user: auditUser(this.principal), action: 'sign_out', resourceType: 'server', resourceId: server, outcome: 'success', issuer: info.issuer, ...(wholeIssuer ? { reason: 'signed out of the whole authorization server' } : {}) });
    return affected;
  }

  /** The principal's user is done with this state. A session's tokens go with it when the session ended for good. */
  async close(options: { forgetTokens: boolean }): Promise<void> {
    this.unsubscribe();
    this.listeners.clear();
    if (!options.forgetTokens || this.principal.kind !== 'session') return;
    await this.tokens.forgetSession(this.principal).catch((error: unknown) => {
      this.logger.warn({ error: String(error) }, 'could not delete the session tokens');
    });
  }

  private entry(server: string): ServerSignIn {
    let entry = this.servers.get(server);
    if (!entry) {
      entry = { stepUps: 0, revoked: false, signedOut: false, offeredStored: false, elicitations: new Map() };
      this.servers.set(server, entry);
    }
    return entry;
  }

  private isSignedIn(entry: ServerSignIn): boolean {
    return entry.info !== undefined && !entry.signedOut && entry.need === undefined;
  }

  private async headers(server: string): Promise<Record<string, string> | undefined> {
    const entry = this.entry(server);
    if (!entry.info || entry.signedOut) return undefined;
    if (entry.token && !needsRefresh(entry.token)) return bearer(entry.token);
    try {
      entry.token = await this.tokens.tokenFor(this.principal, entry.info);
    } catch (error) {
      // A transient failure keeps the token we have (it may still work) and reports the error.
      this.noteProblem(server, entry, error);
    }
    return entry.token ? bearer(entry.token) : undefined;
  }

  /** The server refused (401, or 403 insufficient_scope). True when new credentials are ready for one more try. */
  private async rejected(server: string, challenge: AuthChallenge, sent: Record<string, string> | undefined): Promise<boolean> {
    const entry = this.entry(server);
    const parsed = parseWwwAuthenticate(challenge.wwwAuthenticate);
    if (challenge.status === 403) {
      // RFC 6750 §3.1 insufficient_scope: the next sign-in asks for the challenged scope (with what we had).
      entry.scope = unionScopes(entry.scope ?? entry.token?.scope, parsed?.scope);
      entry.stepUps++;
      entry.token = undefined;
      this.logger.info({ server, scope: entry.scope }, 'upstream wants a wider scope');
      return this.refused(entry);
    }
    // A refused token: the server may name another authorization server now (SEP-2352), so discovery is redone and
    // a new issuer means a new sign-in, with a registration of its own (client identities are kept per issuer).
    const refused = sent?.authorization?.replace(/^Bearer /i, '');
    try {
      entry.info = await this.tokens.resolve(server, parsed, { fresh: refused !== undefined });
      entry.problem = undefined;
    } catch (error) {
      this.noteProblem(server, entry, error);
      return this.refused(entry);
    }
    // RFC 6750 §3: the challenge's scope is what the server wants for this resource.
    if (parsed?.scope) entry.scope = parsed.scope;
    if (entry.signedOut) return this.refused(entry);
    let token: AccessToken | undefined;
    try {
      token = await this.tokens.tokenFor(this.principal, entry.info, refused);
    } catch (error) {
      this.noteProblem(server, entry, error);
      // The sign-in still stands; only a passing outage (authorization server or token store) kept us from a new
      // token. Failing the request like a network error leaves the server connected or retried with backoff, where
      // answering "refused" would put it in auth_required and ask the person to sign in again for nothing.
      if (refused !== undefined && isTransient(error)) throw error;
      return this.refused(entry);
    }
    entry.token = token;
    if (token === undefined || token.value === refused) return this.refused(entry);
    entry.need = undefined;
    return true;
  }

  /** Only a sign-in helps now: the server waits for one, again if an earlier one was revoked. */
  private refused(entry: ServerSignIn): false {
    entry.need = entry.revoked ? 'reauth_required' : 'auth_required';
    return false;
  }

  private noteProblem(server: string, entry: ServerSignIn, error: unknown): void {
    if (error instanceof GrantRevokedError) {
      entry.revoked = true;
      entry.token = undefined;
    }
    entry.problem = error instanceof Error ? error.message : String(error);
    this.logger.warn({ server, error: entry.problem }, 'upstream sign-in problem');
  }

  /** Single sign-on: every server of this principal behind the signed-in issuer can connect, in one go. */
  private signedIn(event: CompletedSignIn): void {
    const signedIn = this.entry(event.server);
    signedIn.signedOut = false;
    const connect = this.clearIssuer(event.issuer);
    for (const name of connect) this.entry(name).offeredStored = false;
    const elicitationId = signedIn.elicitations.get(event.state);
    signedIn.elicitations.delete(event.state);
    this.logger.info({ issuer: event.issuer, servers: connect }, 'signed in; connecting the servers behind this issuer');
    for (const listener of this.listeners) listener({ connect, ...(elicitationId ? { elicitationId } : {}) });
  }

  /** The servers behind an issuer that wait for a sign-in (and were not signed out) no longer do. */
  private clearIssuer(issuer: string): string[] {
    const cleared: string[] = [];
    for (const [server, entry] of this.servers) {
      if (entry.info?.issuer !== issuer || entry.signedOut || !entry.need) continue;
      entry.need = undefined;
      entry.revoked = false;
      entry.token = undefined;
      entry.problem = undefined;
      cleared.push(server);
    }
    return cleared;
  }
}

function bearer(token: AccessToken): Record<string, string> {
  return { authorization: `Bearer ${token.value}` };
}

/** A failure that retrying later can cure: RFC 6749 §5.2 names only permanent errors, so these are 5xx and the network. */
function isTransient(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  if (!(error instanceof TokenRequestError)) return false;
  return error.status === undefined || error.status >= 500 || error.error === 'temporarily_unavailable' || error.error === 'server_error';
}

function unionScopes(...scopes: (string | undefined)[]): string | undefined {
  const all = new Set(scopes.flatMap((s) => (s ? s.split(' ').filter(Boolean) : [])));
  return all.size ? [...all].join(' ') : undefined;
}
