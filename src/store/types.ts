import type { Principal, SessionPrincipal } from '../principal/index.js';
import type { EraVerdictCache } from '../upstream/index.js';

/** An access token for one protected resource (RFC 8707 audience). */
export interface AccessToken {
  value: string;
  tokenType: string;
  /** Epoch milliseconds. */
  expiresAt?: number;
  /** Epoch milliseconds; with expiresAt it gives the lifetime, so short-lived tokens are refreshed in proportion. */
  obtainedAt?: number;
  scope?: string;
  /** Whether the authorization server honoured the RFC 8707 `resource` and bound the token to that audience. */
  audienceRestricted: boolean;
}

/**
 * One sign-in of one principal at one authorization server. Single sign-on: one grant at an issuer serves every
 * server behind that issuer, with an access token per resource.
 */
export interface Grant {
  issuer: string;
  clientId: string;
  refreshToken?: string;
  scope?: string;
  /** Keyed by RFC 8707 resource URI. */
  tokens: Record<string, AccessToken>;
  updatedAt: number;
}

/** A sign-in that was started and waits for its OAuth callback. */
export interface PendingSignIn {
  state: string;
  principal: Principal;
  server: string;
  issuer: string;
  resource: string;
  codeVerifier: string;
  redirectUri: string;
  clientId: string;
  scope?: string;
  createdAt: number;
}

/**
 * A sign-in that completed, told to every process sharing the store: the OAuth callback may reach any replica, and
 * the one serving the principal's client connects its servers at once.
 */
export interface SignInNotice {
  principal: Principal;
  server: string;
  issuer: string;
  state: string;
}

/** A principal's grant at one issuer, as the grants at an issuer are listed (a server behind it was removed). */
export interface GrantOfPrincipal {
  principal: Principal;
  grant: Grant;
}

/**
 * A server added through the admin API, kept so that it outlives a restart and every replica serves it. `entry` is
 * the configuration entry as the API checked it (secrets included, so it is sealed like a grant); whoever loads it
 * checks it again with the configuration schema.
 */
export interface StoredServer {
  name: string;
  entry: Record<string, unknown>;
  /** When it was first stored: stored servers load in this order (the later server gives way on a name collision). */
  createdAt: number;
  updatedAt: number;
}

/**
 * A stored server was created, changed or deleted, told to every process sharing the store. It names the server only:
 * a replica reads the store for what the server is now, so notices that arrive out of order still end in the same state.
 */
export interface ServerNotice {
  name: string;
}

/**
 * The continuation of a 2026-07-28 call whose upstream request waits on another replica (a 2025-11-25 upstream asked
 * during the call, on the connection that replica holds): the client's retry, as the holder needs it.
 */
export interface HeldRound {
  /** principalKey of the caller; the holder answers only for a call of the same principal. */
  principal: string;
  /** The call, as the holder named it in its requestState. */
  exchange: string;
  inputResponses?: Record<string, unknown>;
  /** What the retrying client declared (2026-07-28: every request declares its own), and the log level it named. */
  capabilities: Record<string, unknown>;
  logLevel?: string;
}

/** What the holder answered a held round with: the result (complete, or another input round), or a JSON-RPC error. */
export type HeldRoundAnswer =
  | { result: Record<string, unknown> }
  | { error: { code: number; message: string; data?: unknown } };

/** A notification of the held call (progress, a log) for the client of the replica that forwarded the round. */
export interface HeldRoundNotification {
  method: string;
  params?: Record<string, unknown>;
}

/**
 * Continuations sent to the replica that holds their call, and that replica's answers, across the processes sharing a
 * store (Redis pub/sub). A replica is named by `http.replicaId` (or a random id per process).
 */
export interface HeldCalls {
  /**
   * Sends `round` to `replica` and resolves with its answer. Rejects with HeldCallLostError when no process serves
   * that replica, or it stops answering (a bounded wait, never a hang). Aborting `signal` cancels the round there.
   */
  forward(replica: string, round: HeldRound, options: { signal: AbortSignal; onNotification(notification: HeldRoundNotification): void }): Promise<HeldRoundAnswer>;
  /** Answers the rounds forwarded to `replica` (this process). Returns the stop. */
  serve(replica: string, handler: (round: HeldRound, options: { signal: AbortSignal; notify(notification: HeldRoundNotification): void }) => Promise<HeldRoundAnswer>): () => void;
}

/** How switchboard is known to an authorization server, per redirect URI. May hold a client secret. */
export interface ClientRegistration {
  issuer: string;
  redirectUri: string;
  clientId: string;
  clientSecret?: string;
  method: 'preregistered' | 'cimd' | 'dcr';
  registeredAt: number;
}

/**
 * Where upstream OAuth state lives, and the servers added at run time. Every record is encrypted at rest and bound to its owner, so a record that was
 * moved, tampered with or written under another secret reads as absent.
 *
 * Grants are kept per principal (a session, the local user, a signed-in user) and issuer, so one principal's tokens
 * can never be served to another. The store keys them by `principalKey`.
 */
export interface TokenStore {
  readonly kind: 'memory' | 'redis';
  /**
   * The era verdicts of upstream servers, shared by every process on this store (Redis). Absent for the memory
   * store: each process's own cache serves (upstream/verdicts.ts).
   */
  readonly eraVerdicts?: EraVerdictCache;
  /**
   * Continuations of held 2026-07-28 calls, forwarded to the replica that holds them (Redis). Absent for the memory
   * store: there is no other process to forward to.
   */
  readonly heldCalls?: HeldCalls;
  getGrant(principal: Principal, issuer: string): Promise<Grant | undefined>;
  putGrant(principal: Principal, grant: Grant): Promise<void>;
  deleteGrant(principal: Principal, issuer: string): Promise<void>;
  /**
   * Every principal's grant at the issuer, for the rare change that concerns them all (a server behind the issuer was
   * removed). A grant that does not open is left out, as getGrant would read it as absent.
   */
  grantsAt(issuer: string): Promise<GrantOfPrincipal[]>;
  /**
   * Deletes every grant of a session that ended. Only a session's grants end with it: the local user's and a signed-in
   * user's outlive every session they use.
   */
  deletePrincipal(principal: SessionPrincipal): Promise<void>;
  /**
   * The sessions are alive: their grants outlive the store's session grant TTL once more. A session's grants expire
   * by themselves when nobody renews them (the process crashed, or stopped with the session open), so a store shared
   * by replicas does not fill up with the grants of sessions that never ended cleanly.
   */
  keepSessions(principals: readonly SessionPrincipal[]): Promise<void>;
  putPending(pending: PendingSignIn, ttlMs: number): Promise<void>;
  /** Atomic get-and-delete: a state can be taken once. Expired -> undefined. */
  takePending(state: string): Promise<PendingSignIn | undefined>;
  getRegistration(issuer: string, redirectUri: string): Promise<ClientRegistration | undefined>;
  putRegistration(reg: ClientRegistration): Promise<void>;
  /**
   * Runs fn while holding an exclusive lock on key, across processes for Redis. Used to serialise token refresh per
   * principal+issuer so a rotated refresh token is never replayed. Rejects with LockTimeoutError when the lock stays
   * taken longer than the store's lock wait.
   */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Tells the other processes sharing this store that a sign-in completed here (Redis pub/sub, sealed like a record).
   * The memory store has no other process to tell.
   */
  announceSignIn(notice: SignInNotice): Promise<void>;
  /** Hears the sign-ins other processes sharing this store announce; never this process's own. */
  onSignInElsewhere(listener: (notice: SignInNotice) => void): () => void;
  /** The servers added through the admin API, in the order they were first stored (createdAt). */
  listServers(): Promise<StoredServer[]>;
  getServer(name: string): Promise<StoredServer | undefined>;
  putServer(server: StoredServer): Promise<void>;
  deleteServer(name: string): Promise<void>;
  /** Tells the other processes sharing this store that a stored server changed (Redis pub/sub, sealed). */
  announceServerChange(notice: ServerNotice): Promise<void>;
  /** Hears the server changes other processes sharing this store announce; never this process's own. */
  onServerChangeElsewhere(listener: (notice: ServerNotice) => void): () => void;
  /**
   * Hears that announcements of other processes may have been missed: pub/sub reached this process again after an
   * outage of the store (Redis), and whatever was announced meanwhile is lost. Never for a store of one process.
   */
  onAnnouncementsMissed(listener: () => void): () => void;
  /** Resolves when the backend is reachable; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
