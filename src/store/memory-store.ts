import { principalFromKey, principalKey, type Principal, type SessionPrincipal } from '../principal/index.js';
import type { RecordCodec } from './records.js';
import { KeyedMutex } from './memory-lock.js';
import type { ClientRegistration, Grant, GrantOfPrincipal, PendingSignIn, StoredServer, TokenStore } from './types.js';

/**
 * Keeps records in this process, sealed exactly as the Redis store seals them, so both stores share one code path
 * for encryption and a memory dump holds no plaintext token. Lost on restart.
 */
export class MemoryTokenStore implements TokenStore {
  readonly kind = 'memory';
  private readonly grants = new Map<string, Map<string, string>>();
  private readonly pending = new Map<string, { sealed: string; expiresAt: number }>();
  private readonly registrations = new Map<string, string>();
  private readonly servers = new Map<string, string>();
  private readonly locks: KeyedMutex;

  constructor(
    private readonly codec: RecordCodec,
    lockWaitMs: number,
  ) {
    this.locks = new KeyedMutex(lockWaitMs);
  }

  async getGrant(principal: Principal, issuer: string): Promise<Grant | undefined> {
    const sealed = this.grants.get(principalKey(principal))?.get(issuer);
    return sealed === undefined ? undefined : this.codec.open({ kind: 'grant', principal: principalKey(principal), issuer }, sealed);
  }

  async putGrant(principal: Principal, grant: Grant): Promise<void> {
    const sealed = this.codec.seal({ kind: 'grant', principal: principalKey(principal), issuer: grant.issuer }, grant);
    const ofPrincipal = this.grants.get(principalKey(principal)) ?? new Map<string, string>();
    ofPrincipal.set(grant.issuer, sealed);
    this.grants.set(principalKey(principal), ofPrincipal);
  }

  async deleteGrant(principal: Principal, issuer: string): Promise<void> {
    const ofPrincipal = this.grants.get(principalKey(principal));
    ofPrincipal?.delete(issuer);
    if (ofPrincipal?.size === 0) this.grants.delete(principalKey(principal));
  }

  async grantsAt(issuer: string): Promise<GrantOfPrincipal[]> {
    const found: GrantOfPrincipal[] = [];
    for (const [key, ofPrincipal] of this.grants) {
      const sealed = ofPrincipal.get(issuer);
      const principal = principalFromKey(key);
      if (sealed === undefined || !principal) continue;
      const grant = this.codec.open({ kind: 'grant', principal: key, issuer }, sealed);
      if (grant) found.push({ principal, grant });
    }
    return found;
  }

  async deletePrincipal(principal: SessionPrincipal): Promise<void> {
    this.grants.delete(principalKey(principal));
  }

  /** Nothing to renew: the records die with the process that holds its sessions. */
  async keepSessions(): Promise<void> {}

  async putPending(pending: PendingSignIn, ttlMs: number): Promise<void> {
    this.dropExpiredPending();
    const sealed = this.codec.seal({ kind: 'pending', state: pending.state }, pending);
    this.pending.set(pending.state, { sealed, expiresAt: Date.now() + ttlMs });
  }

  async takePending(state: string): Promise<PendingSignIn | undefined> {
    const entry = this.pending.get(state);
    // Deleting before anything else awaits is what makes the take atomic in a single-threaded process.
    this.pending.delete(state);
    if (entry === undefined || entry.expiresAt <= Date.now()) return undefined;
    return this.codec.open({ kind: 'pending', state }, entry.sealed);
  }

  async getRegistration(issuer: string, redirectUri: string): Promise<ClientRegistration | undefined> {
    const sealed = this.registrations.get(registrationKey(issuer, redirectUri));
    return sealed === undefined ? undefined : this.codec.open({ kind: 'registration', issuer, redirectUri }, sealed);
  }

  async putRegistration(reg: ClientRegistration): Promise<void> {
    const sealed = this.codec.seal({ kind: 'registration', issuer: reg.issuer, redirectUri: reg.redirectUri }, reg);
    this.registrations.set(registrationKey(reg.issuer, reg.redirectUri), sealed);
  }

  async listServers(): Promise<StoredServer[]> {
    const opened = [...this.servers].map(([name, sealed]) => this.codec.open({ kind: 'server', name }, sealed));
    return opened.filter((server) => server !== undefined).sort((a, b) => a.createdAt - b.createdAt);
  }

  async getServer(name: string): Promise<StoredServer | undefined> {
    const sealed = this.servers.get(name);
    return sealed === undefined ? undefined : this.codec.open({ kind: 'server', name }, sealed);
  }

  async putServer(server: StoredServer): Promise<void> {
    this.servers.set(server.name, this.codec.seal({ kind: 'server', name: server.name }, server));
  }

  async deleteServer(name: string): Promise<void> {
    this.servers.delete(name);
  }

  /** A memory store is never shared: there is nobody else to tell. */
  async announceSignIn(): Promise<void> {}

  onSignInElsewhere(): () => void {
    return () => {};
  }

  async announceServerChange(): Promise<void> {}

  onServerChangeElsewhere(): () => void {
    return () => {};
  }

  onAnnouncementsMissed(): () => void {
    return () => {};
  }

  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(key, fn);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.grants.clear();
    this.pending.clear();
    this.registrations.clear();
    this.servers.clear();
  }

  /** Abandoned sign-ins are never taken; sweeping on each put keeps them from piling up without a timer. */
  private dropExpiredPending(): void {
    const now = Date.now();
    for (const [state, entry] of this.pending) {
      if (entry.expiresAt <= now) this.pending.delete(state);
    }
  }
}

/** A JSON pair so that no issuer or redirect URI, whatever characters it holds, can collide with another pair. */
function registrationKey(issuer: string, redirectUri: string): string {
  return JSON.stringify([issuer, redirectUri]);
}
