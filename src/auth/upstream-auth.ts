import { NO_AUDIT, type AuditRecorder } from '../audit/index.js';
import { isRemote, staticAuth, type Config, type RemoteServerConfig, type RemovedServer, type ServerChange } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { principalKey, type Principal, type SessionPrincipal } from '../principal/index.js';
import type { AccessToken, TokenStore } from '../store/index.js';
import { AccessTokens } from './access-tokens.js';
import { CallbackAddress } from './callback-address.js';
import { ClientIdentities } from './client-identity.js';
import { CrossAppAccess } from './cross-app-access.js';
import { IdentityAssertions } from './identity-assertions.js';
import type { BearerChallenge } from './discovery/index.js';
import { ServerInfoResolver, type ServerAuthInfo, type ServerIdentity } from './server-info.js';
import { SignInFlow, type CompletedSignIn, type SignInStart } from './sign-in-flow.js';
import { SignInStates } from './sign-in-states.js';
import { StaticServerCredentials } from './static-credentials.js';
import type { TokenService } from './token-service.js';

/**
 * Upstream OAuth for the whole process, put together from its parts: server info (discovery), client identity,
 * the sign-in flow and the tokens. It is the TokenService every principal's SignInState uses, and what the OAuth
 * routes serve. Servers with static credentials (bearer, basic, headers, query, client_credentials) get them from
 * `staticCredentials` instead, the same for every principal.
 */
export class AuthManager implements TokenService {
  readonly staticCredentials: StaticServerCredentials;
  private readonly address: CallbackAddress;
  private readonly servers: ServerInfoResolver;
  private readonly clients: ClientIdentities;
  private readonly tokens: AccessTokens;
  private readonly flow: SignInFlow;
  private readonly crossApp: CrossAppAccess;
  private readonly crossAppInFlight = new Map<string, Promise<AccessToken | undefined>>();
  /** The users' identity assertions for cross-app access (the front door hands them over). */
  readonly identityAssertions: IdentityAssertions;
  /** The sign-in state of each principal that has a view now. */
  readonly signIns: SignInStates;

  private readonly log: Logger;

  /** `audit`: where sign-ins, sign-outs and refresh failures are recorded. */
  constructor(private readonly config: Config, readonly store: TokenStore, logger: Logger, audit: AuditRecorder = NO_AUDIT) {
    const log = logger.child({ component: 'auth' });
    this.log = log;
    this.staticCredentials = new StaticServerCredentials(config, log);
    this.address = new CallbackAddress(config.publicUrl);
    this.servers = new ServerInfoResolver(config);
    this.clients = new ClientIdentities(this.servers, store, this.address, log);
    this.tokens = new AccessTokens(store, this.clients, log, audit);
    this.flow = new SignInFlow(this.servers, this.clients, this.tokens, store, this.address, log, audit);
    this.identityAssertions = new IdentityAssertions(config.crossAppAccess);
    this.crossApp = new CrossAppAccess(config, this.servers, this.clients, this.identityAssertions, log);
    this.signIns = new SignInStates(this, log, audit);
  }

  /**
   * Servers were removed or reconfigured (src/config ServerSet): their discovery is done again, and the tokens of each
   * server in `removed` (gone, or moved to another URL: config AppliedChange.orphaned) are deleted for every principal (issue 7:
   * removing a server deletes its tokens). Only the process that made the change passes `removed`, so a change that
   * every replica applies deletes them once. Resolves once they are deleted; a failure is logged, never thrown: the
   * server is gone either way.
   */
  serversChanged(change: ServerChange, removed: readonly RemovedServer[] = []): Promise<void> {
    // What discovery found is read before it is forgotten.
    const identified = removed.filter(({ server }) => isRemote(server) && !staticAuth(server)).map(({ name, server }) => ({ name, identity: this.servers.identify(name, server as RemoteServerConfig) }));
    for (const server of [...change.removed, ...change.updated]) this.servers.forget(server);
    return Promise.all(identified.map(({ name, identity }) => this.forgetTokensOf(name, identity))).then(() => {});
  }

  private async forgetTokensOf(server: string, identity: Promise<ServerIdentity>): Promise<void> {
    try {
      const { issuer, resource } = await identity;
      const sharedBy = await this.serversBehind(issuer);
      const principals = await this.tokens.forgetServer(issuer, resource, { wholeGrant: sharedBy.length === 0 });
      this.log.info({ server, issuer, principals, keptFor: sharedBy }, sharedBy.length === 0 ? 'removed or moved server: its sign-ins deleted for every principal' : 'removed or moved server: its tokens deleted for every principal');
    } catch (error) {
      this.log.warn({ server, error: error instanceof Error ? error.message : String(error) }, 'removed or moved server: its tokens could not be deleted');
    }
  }

  /**
   * The servers configured now that sign in at `issuer`. A server whose issuer cannot be found (its discovery fails) is
   * counted in: its users' refresh token is kept rather than lost to a passing outage.
   */
  private async serversBehind(issuer: string): Promise<string[]> {
    const candidates = Object.entries(this.config.mcpServers).filter(([, server]) => isRemote(server) && !staticAuth(server));
    const issuers = await Promise.all(candidates.map(([name, server]) => this.servers.identify(name, server as RemoteServerConfig).then((found) => found.issuer, () => undefined)));
    return candidates.filter((_, i) => issuers[i] === undefined || issuers[i] === issuer).map(([name]) => name);
  }

  /** Called once the HTTP port is known, when no publicUrl was configured. */
  setPublicUrl(url: string): void {
    this.address.set(url);
  }

  get publicUrl(): string {
    return this.address.publicUrl;
  }

  get redirectUri(): string {
    return this.address.redirectUri;
  }

  clientMetadataDocument(): Record<string, unknown> {
    return this.clients.metadataDocument();
  }

  resolve(server: string, challenge?: BearerChallenge, options?: { fresh?: boolean }): Promise<ServerAuthInfo> {
    return this.servers.resolve(server, challenge, { fresh: options?.fresh });
  }

  /**
   * A stored token (refreshed when due), else, for a server configured for cross-app access, one obtained from the
   * enterprise IdP without a browser and kept like a sign-in's. A CrossAppAccessError says why that failed.
   */
  async tokenFor(principal: Principal, info: ServerAuthInfo, rejected?: string): Promise<AccessToken | undefined> {
    const stored = await this.tokens.tokenFor(principal, info, rejected);
    if (stored || !this.crossApp.appliesTo(info)) return stored;
    // One grant at a time per principal and resource; the principal is in the key (pomerium PR #6165).
    const key = `${principalKey(principal)}\u0000${info.issuer}\u0000${info.resource}`;
    let running = this.crossAppInFlight.get(key);
    if (!running) {
      running = this.crossApp.obtain(principal, info)
        .then(async ({ clientId, tokens }) => {
          await this.tokens.keep(principal, info, clientId, info.resource, tokens);
          return this.tokens.tokenFor(principal, info, rejected);
        })
        .finally(() => this.crossAppInFlight.delete(key));
      this.crossAppInFlight.set(key, running);
    }
    return running;
  }

  beginSignIn(principal: Principal, info: ServerAuthInfo, scope: string | undefined, alsoFor: readonly string[] = []): Promise<SignInStart> {
    return this.flow.begin(principal, info, scope, alsoFor);
  }

  completeSignIn(callbackUrl: URL): Promise<CompletedSignIn> {
    return this.flow.complete(callbackUrl);
  }

  onSignIn(listener: (event: CompletedSignIn) => void): () => void {
    return this.flow.onSignIn(listener);
  }

  signOut(principal: Principal, issuer: string, resource?: string): Promise<void> {
    return this.tokens.signOut(principal, issuer, resource);
  }

  forgetSession(principal: SessionPrincipal): Promise<void> {
    return this.tokens.forgetSession(principal);
  }

  /** Renews the grants of live sessions, which otherwise expire (a crashed process must not leave them for ever). */
  keepSessions(principals: readonly SessionPrincipal[]): Promise<void> {
    return this.tokens.keepSessions(principals);
  }
}
