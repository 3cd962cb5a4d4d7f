import type { Logger } from '../log/index.js';
import { StoreUnavailableError, type AccessToken } from '../store/index.js';
import type { AuthChallenge, UpstreamCredentials, UpstreamState } from '../upstream/index.js';
import { parseWwwAuthenticate } from './discovery/index.js';
import { SignInError, TokenRequestError } from './errors.js';
import { GrantRevokedError, needsRefresh, type AuthManager, type CompletedSignIn, type ServerAuthInfo } from './manager.js';

/** MCP 2025-11-25 authorization, scope challenge handling: re-authorize for a wider scope a few times at most. */
const MAX_STEP_UPS = 3;

/** What the session lets its auth state see and do. */
export interface SessionAuthHost {
  /** Current state of a server's connection in this session. */
  state(server: string): UpstreamState | undefined;
  /** Connects servers again and waits for the attempts; the client hears one list_changed for all of them. */
  reconnect(servers: string[]): Promise<void>;
  /** Puts a server back to needing a sign-in. */
  requireAuth(server: string, state: 'auth_required' | 'reauth_required'): void;
  /** Tells the client a sign-in it was asked to open has finished (URL-mode elicitation). */
  completeElicitation(elicitationId: string): void;
}

interface ServerAuth {
  info?: ServerAuthInfo;
  /** Scope to ask for: from the last challenge, widened by insufficient_scope answers. */
  scope?: string;
  token?: AccessToken;
  stepUps: number;
  /** The refresh token was refused: the sign-in must be done again. */
  revoked: boolean;
  /** The person signed out of this server: no single sign-on brings it back until they sign in to it. */
  signedOut: boolean;
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

/**
 * One session's view of upstream sign-ins: credentials for its connections, what needs a sign-in, and single sign-on
 * when a sign-in at an issuer completes. The principal is the session id today (a per-user principal can replace it).
 */
export class SessionAuth {
  private readonly servers = new Map<string, ServerAuth>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly manager: AuthManager,
    readonly principal: string,
    private readonly host: SessionAuthHost,
    private readonly logger: Logger,
  ) {
    this.unsubscribe = manager.onSignIn((event) => {
      if (event.principal === principal) void this.onSignIn(event);
    });
  }

  private entry(server: string): ServerAuth {
    let entry = this.servers.get(server);
    if (!entry) {
      entry = { stepUps: 0, revoked: false, signedOut: false, elicitations: new Map() };
      this.servers.set(server, entry);
    }
    return entry;
  }

  /** The credentials hook for one server's connection. */
  credentials(server: string): UpstreamCredentials {
    return {
      headers: () => this.headers(server),
      rejected: (challenge, sent) => this.rejected(server, challenge, sent),
      authState: () => (this.entry(server).revoked ? 'reauth_required' : 'auth_required'),
    };
  }

  private async headers(server: string): Promise<Record<string, string> | undefined> {
    const entry = this.entry(server);
    if (!entry.info || entry.signedOut) return undefined;
    if (entry.token && !needsRefresh(entry.token)) return bearer(entry.token);
    try {
      entry.token = await this.manager.tokenFor(this.principal, entry.info);
    } catch (error) {
      // A transient failure keeps the token we have (it may still work) and reports the error.
      this.noteProblem(server, entry, error);
    }
    return entry.token ? bearer(entry.token) : undefined;
  }

  private async rejected(server: string, challenge: AuthChallenge, sent: Record<string, string> | undefined): Promise<boolean> {
    const entry = this.entry(server);
    const parsed = parseWwwAuthenticate(challenge.wwwAuthenticate);
    if (challenge.status === 403) {
      // RFC 6750 §3.1 insufficient_scope: the next sign-in asks for the challenged scope (with what we had).
      entry.scope = unionScopes(entry.scope ?? entry.token?.scope, parsed?.scope);
      entry.stepUps++;
      entry.token = undefined;
      this.logger.info({ server, scope: entry.scope }, 'upstream wants a wider scope');
      return false;
    }
    try {
      entry.info = await this.manager.resolve(server, parsed);
      entry.problem = undefined;
    } catch (error) {
      this.noteProblem(server, entry, error);
      return false;
    }
    if (parsed?.scope) entry.scope = parsed.scope;
    if (entry.signedOut) return false;
    const refused = sent?.authorization?.replace(/^Bearer /i, '');
    try {
      const token = await this.manager.tokenFor(this.principal, entry.info, refused);
      entry.token = token;
      return token !== undefined && token.value !== refused;
    } catch (error) {
      this.noteProblem(server, entry, error);
      // The sign-in still stands; only a passing outage (authorization server or token store) kept us from a new
      // token. Failing the request like a network error leaves the server connected or retried with backoff, where
      // answering "refused" would put it in auth_required and ask the person to sign in again for nothing.
      if (refused !== undefined && isTransient(error)) throw error;
      return false;
    }
  }

  private noteProblem(server: string, entry: ServerAuth, error: unknown): void {
    if (error instanceof GrantRevokedError) {
      entry.revoked = true;
      entry.token = undefined;
    }
    entry.problem = error instanceof Error ? error.message : String(error);
    this.logger.warn({ server, error: entry.problem }, 'upstream sign-in problem');
  }

  /** Servers of this session that need a sign-in, for `_meta` and auth://status. */
  authRequired(servers: readonly string[], toolName: (server: string) => string): AuthRequiredEntry[] {
    const result: AuthRequiredEntry[] = [];
    for (const server of servers) {
      const state = this.host.state(server);
      if (state !== 'auth_required' && state !== 'reauth_required') continue;
      const entry = this.entry(server);
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
      ...(entry.token?.expiresAt && this.host.state(server) === 'connected' ? { expiresAt: new Date(entry.token.expiresAt).toISOString() } : {}),
      ...(entry.problem ? { problem: entry.problem } : {}),
    };
  }

  /**
   * Starts a sign-in for a server (the authenticate tool). Resolves the authorization URL, or `connected` when the
   * server already is (single sign-on may have connected it).
   */
  async begin(server: string): Promise<{ status: 'connected' } | { status: 'auth_required'; authorizationUrl: string; issuer: string; state: string }> {
    if (this.host.state(server) === 'connected') return { status: 'connected' };
    const entry = this.entry(server);
    if (entry.stepUps >= MAX_STEP_UPS) throw new SignInError(`"${server}" asked for a wider scope ${entry.stepUps} times; giving up (the server may be misconfigured)`);
    entry.info ??= await this.manager.resolve(server);
    const issuer = entry.info.issuer;
    // The sign-in may already be done: with several replicas, the callback can land on one that does not hold this
    // session. Not when a wider scope or a fresh sign-in is what the server asked for.
    if (entry.stepUps === 0 && !entry.revoked && !entry.signedOut && await this.manager.tokenFor(this.principal, entry.info).catch(() => undefined)) {
      await this.connectIssuer(issuer);
      if (this.host.state(server) === 'connected') return { status: 'connected' };
    }
    const scope = entry.scope ?? entry.info.defaultScope;
    const siblings = [...this.servers.values()].filter((e) => e !== entry && e.info?.issuer === issuer).map((e) => e.info!.resource);
    const { authorizationUrl, state } = await this.manager.beginSignIn(this.principal, entry.info, scope, siblings);
    return { status: 'auth_required', authorizationUrl, issuer: entry.info.issuer, state };
  }

  /** Remembers the URL-mode elicitation that asked the client to open a sign-in, to complete it later. */
  trackElicitation(server: string, state: string, elicitationId: string): void {
    this.entry(server).elicitations.set(state, elicitationId);
  }

  /** Single sign-on: every server of this session behind the signed-in issuer connects, in parallel, with one list_changed. */
  private async onSignIn(event: CompletedSignIn): Promise<void> {
    const signedIn = this.entry(event.server);
    signedIn.signedOut = false;
    await this.connectIssuer(event.issuer);
    const elicitationId = signedIn.elicitations.get(event.state);
    if (elicitationId) {
      signedIn.elicitations.delete(event.state);
      this.host.completeElicitation(elicitationId);
    }
  }

  /** Connects every server of this session behind an issuer that waits for a sign-in (and was not signed out). */
  private async connectIssuer(issuer: string): Promise<void> {
    const servers: string[] = [];
    for (const [server, entry] of this.servers) {
      if (entry.info?.issuer !== issuer) continue;
      if (entry.signedOut) continue;
      const state = this.host.state(server);
      if (state !== 'auth_required' && state !== 'reauth_required') continue;
      entry.revoked = false;
      entry.token = undefined;
      entry.problem = undefined;
      servers.push(server);
    }
    this.logger.info({ issuer, servers }, 'signed in; connecting the servers behind this issuer');
    await this.host.reconnect(servers);
  }

  /**
   * Signs out of one server, or of its whole issuer. Signing out of one server keeps the grant that other servers of
   * the same issuer still use; it is deleted when none does, or when the person asked to leave the issuer.
   */
  async signOut(server: string, wholeIssuer: boolean): Promise<string[]> {
    const entry = this.servers.get(server);
    const issuer = entry?.info?.issuer;
    if (!entry || !issuer) throw new SignInError(`"${server}" has no sign-in in this session`);
    const sameIssuer = [...this.servers].filter(([, e]) => e.info?.issuer === issuer).map(([name]) => name);
    const othersInUse = sameIssuer.some((name) => name !== server && !this.servers.get(name)!.signedOut && this.host.state(name) === 'connected');
    const affected = wholeIssuer ? sameIssuer : [server];
    if (wholeIssuer || !othersInUse) await this.manager.signOut(this.principal, issuer);
    else await this.manager.signOut(this.principal, issuer, entry.info!.resource);
    for (const name of affected) {
      const e = this.entry(name);
      e.signedOut = true;
      e.token = undefined;
      this.host.requireAuth(name, 'auth_required');
    }
    return affected;
  }

  /** The session is closing; when it ended for good, its tokens go with it. */
  async close(options: { forgetTokens: boolean }): Promise<void> {
    this.unsubscribe();
    if (!options.forgetTokens) return;
    await this.manager.forgetPrincipal(this.principal).catch((error: unknown) => {
      this.logger.warn({ error: String(error) }, 'could not delete the session tokens');
    });
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
