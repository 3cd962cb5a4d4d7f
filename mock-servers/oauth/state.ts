import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { MockClock } from './clock.js';
import type { ResolvedAuthServerOptions } from './options.js';
import type { TokenSigner } from './signing.js';

export type ClientSource = 'preregistered' | 'dcr' | 'cimd';
export type ClientAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
export type GrantType = 'authorization_code' | 'refresh_token' | 'client_credentials' | typeof JWT_BEARER_GRANT;

/** RFC 8693 section 2.1 and RFC 7523 section 2.1 grant types (cross-app access: ID-JAG out, ID-JAG in). */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export interface ClientRecord {
  clientId: string;
  clientSecret?: string;
  /** The public keys of a private_key_jwt client. */
  jwks?: JsonWebKey[];
  redirectUris: string[];
  tokenEndpointAuthMethod: ClientAuthMethod;
  grantTypes: string[];
  clientName?: string;
  source: ClientSource;
  /** Mock-clock seconds. */
  registeredAt: number;
  /** The registration request (DCR) or fetched document (CIMD), as received. */
  metadata: Record<string, unknown>;
}

export interface AuthorizationCode {
  code: string;
  clientId: string;
  redirectUri: string;
  /** RFC 6749 §4.1.3: redirect_uri is required at /token only when it was sent to /authorize. */
  redirectUriSent: boolean;
  scope: string;
  resources: string[];
  codeChallenge?: string;
  codeChallengeMethod?: string;
  sub: string;
  expiresAt: number;
  used: boolean;
  /** The grant (token family) this code starts; replaying the code revokes it (RFC 6749 §4.1.2). */
  grantId: string;
}

export type AccessTokenStatus = 'active' | 'revoked' | 'expired';

/** An access token the server issued. `token` is the raw JWT: in-process only, never logged or served over HTTP. */
export interface IssuedAccessToken {
  token: string;
  /** base64url SHA-256 of the token, safe to show and to compare. */
  tokenSha256: string;
  jti: string;
  grantType: GrantType | 'minted';
  clientId: string;
  sub: string;
  scope: string;
  aud?: string | string[];
  issuedAt: number;
  expiresAt: number;
  grantId?: string;
  status: AccessTokenStatus;
}

export type RefreshTokenStatus = 'active' | 'rotated' | 'revoked' | 'expired';

/** A refresh token. `token` is the raw opaque value: in-process only. */
export interface IssuedRefreshToken {
  token: string;
  tokenSha256: string;
  grantId: string;
  clientId: string;
  sub: string;
  scope: string;
  resources: string[];
  issuedAt: number;
  expiresAt?: number;
  status: RefreshTokenStatus;
}

export interface AuthorizationRequestRecord {
  at: number;
  httpMethod: string;
  /** Every query parameter (first value of each). */
  params: Record<string, string>;
  /** Every `resource` value (RFC 8707 allows several). */
  resources: string[];
  clientSource?: ClientSource;
  outcome: 'approved' | 'denied' | 'pending' | 'error' | 'injected-failure';
  error?: string;
  sub?: string;
}

export interface TokenRequestRecord {
  at: number;
  grantType: string;
  /** Every body parameter as received (first value), including `code_verifier`, so tests can check PKCE. */
  params: Record<string, string>;
  resources: string[];
  clientAuthMethod: ClientAuthMethod;
  clientId?: string;
  outcome: 'issued' | 'error' | 'injected-failure';
  error?: string;
}

export interface RegistrationRecord {
  at: number;
  clientId?: string;
  request: Record<string, unknown>;
  outcome: 'registered' | 'error' | 'injected-failure';
  error?: string;
}

/** An ID-JAG this server issued as an IdP (cross-app access); the grant itself is not kept. */
export interface IdJagRecord {
  at: number;
  jti: string;
  sub: string;
  /** The resource authorization server it is for. */
  audience: string;
  resource?: string;
  scope: string;
  /** The `client_id` claim: the client at the resource authorization server. */
  clientId: string;
  /** The client that asked for it here. */
  requestedBy: string;
  subjectTokenType: string;
}

export interface AuthServerCounts {
  authorizationRequests: number;
  /** Token requests received, by `grant_type` (including failed ones). */
  tokenRequests: Record<string, number>;
  /** Same as `tokenRequests.refresh_token`. */
  refreshGrants: number;
  registrations: number;
  introspections: number;
  revocations: number;
  cimdFetches: number;
  jwksFetches: number;
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

const CODE_TTL_SECONDS = 60;

/** Everything the mock remembers, and the grant logic that mutates it. */
export class AuthServerState {
  readonly clients = new Map<string, ClientRecord>();
  readonly codes = new Map<string, AuthorizationCode>();
  readonly accessTokens = new Map<string, IssuedAccessToken>();
  readonly refreshTokens = new Map<string, IssuedRefreshToken>();
  readonly authorizationRequests: AuthorizationRequestRecord[] = [];
  readonly tokenRequests: TokenRequestRecord[] = [];
  readonly registrations: RegistrationRecord[] = [];
  readonly cimdFetches: string[] = [];
  readonly idJags: IdJagRecord[] = [];
  /** Grants (token families) revoked as a whole, e.g. after refresh-token reuse. */
  readonly revokedGrants = new Set<string>();
  readonly counts: AuthServerCounts = {
    authorizationRequests: 0,
    tokenRequests: {},
    refreshGrants: 0,
    registrations: 0,
    introspections: 0,
    revocations: 0,
    cimdFetches: 0,
    jwksFetches: 0,
  };
  /** The `sub` that auto-approval (and the form's default username) signs in as. */
  user = 'alice';

  constructor(
    readonly issuer: string,
    readonly clock: MockClock,
    readonly signer: TokenSigner,
    private readonly options: () => ResolvedAuthServerOptions,
  ) {}

  registerPreRegisteredClients(): void {
    for (const c of this.options().preRegisteredClients) {
      const confidential = c.clientSecret !== undefined || c.jwks !== undefined;
      this.clients.set(c.clientId, {
        clientId: c.clientId,
        ...(c.clientSecret !== undefined ? { clientSecret: c.clientSecret } : {}),
        ...(c.jwks !== undefined ? { jwks: c.jwks } : {}),
        redirectUris: [...c.redirectUris],
        tokenEndpointAuthMethod: c.jwks !== undefined ? 'private_key_jwt' : c.clientSecret !== undefined ? 'client_secret_basic' : 'none',
        // Confidential clients may also use the cross-app access grants (the draft's security considerations: confidential only).
        grantTypes: ['authorization_code', 'refresh_token', ...(confidential ? ['client_credentials', TOKEN_EXCHANGE_GRANT, JWT_BEARER_GRANT] : [])],
        source: 'preregistered',
        registeredAt: this.clock.now(),
        metadata: {},
      });
    }
  }

  issueCode(input: Omit<AuthorizationCode, 'code' | 'expiresAt' | 'used' | 'grantId'>): AuthorizationCode {
    const code: AuthorizationCode = {
      ...input,
      code: randomToken(),
      expiresAt: this.clock.now() + CODE_TTL_SECONDS,
      used: false,
      grantId: randomUUID(),
    };
    this.codes.set(code.code, code);
    return code;
  }

  async issueAccessToken(input: {
    grantType: IssuedAccessToken['grantType'];
    clientId: string;
    sub: string;
    scope: string;
    resources: string[];
    grantId?: string;
    ttlSeconds?: number;
    /** Set over the claims (a key set to undefined removes it): tokens a strict resource server must refuse. */
    claimOverrides?: Record<string, unknown>;
  }): Promise<IssuedAccessToken> {
    const now = this.clock.now();
    const ttl = input.ttlSeconds ?? this.options().accessTokenTtlSeconds;
    const jti = randomUUID();
    // RFC 8707 §2 / RFC 9068 §3: the audience is the resource the client named; no resource, no `aud`.
    const aud = input.resources.length === 0 ? undefined : input.resources.length === 1 ? input.resources[0] : [...input.resources];
    const claims: Record<string, unknown> = {
      iss: this.issuer,
      sub: input.sub,
      client_id: input.clientId,
      iat: now,
      exp: now + ttl,
      jti,
      ...(aud !== undefined ? { aud } : {}),
      ...(input.scope !== '' ? { scope: input.scope } : {}),
    };
    for (const [claim, value] of Object.entries(input.claimOverrides ?? {})) {
      if (value === undefined) delete claims[claim];
      else claims[claim] = value;
    }
    // RFC 9068 JWT, or an opaque handle that only introspection can read (RFC 7662).
    const token = this.options().accessTokenFormat === 'opaque' ? randomToken() : await this.signer.sign(claims);
    const record: IssuedAccessToken = {
      token,
      tokenSha256: sha256(token),
      jti,
      grantType: input.grantType,
      clientId: input.clientId,
      sub: input.sub,
      scope: input.scope,
      ...(aud !== undefined ? { aud } : {}),
      issuedAt: now,
      expiresAt: now + ttl,
      ...(input.grantId !== undefined ? { grantId: input.grantId } : {}),
      status: 'active',
    };
    this.accessTokens.set(token, record);
    return record;
  }

  issueRefreshToken(input: { grantId: string; clientId: string; sub: string; scope: string; resources: string[] }): IssuedRefreshToken {
    const now = this.clock.now();
    const ttl = this.options().refreshTokenTtlSeconds;
    const token = randomToken();
    const record: IssuedRefreshToken = {
      token,
      tokenSha256: sha256(token),
      ...input,
      resources: [...input.resources],
      issuedAt: now,
      ...(ttl !== undefined ? { expiresAt: now + ttl } : {}),
      status: 'active',
    };
    this.refreshTokens.set(token, record);
    return record;
  }

  /** Status as of the mock clock now (expiry is computed, not stored). */
  accessTokenStatus(record: IssuedAccessToken): AccessTokenStatus {
    if (record.status === 'revoked' || (record.grantId && this.revokedGrants.has(record.grantId))) return 'revoked';
    return record.expiresAt <= this.clock.now() ? 'expired' : 'active';
  }

  refreshTokenStatus(record: IssuedRefreshToken): RefreshTokenStatus {
    if (record.status === 'revoked' || this.revokedGrants.has(record.grantId)) return 'revoked';
    if (record.status === 'rotated') return 'rotated';
    return record.expiresAt !== undefined && record.expiresAt <= this.clock.now() ? 'expired' : 'active';
  }

  /** Revokes every access and refresh token of a grant (RFC 6749 §10.4 reuse detection, RFC 7009 §2.1). */
  revokeGrant(grantId: string): void {
    this.revokedGrants.add(grantId);
    for (const t of this.accessTokens.values()) if (t.grantId === grantId) t.status = 'revoked';
    for (const t of this.refreshTokens.values()) if (t.grantId === grantId) t.status = 'revoked';
  }

  /** Revokes one token by value. A refresh token takes its whole grant with it (RFC 7009 §2.1). Returns whether it was known. */
  revokeToken(token: string): boolean {
    const access = this.accessTokens.get(token);
    if (access) {
      access.status = 'revoked';
      return true;
    }
    const refresh = this.refreshTokens.get(token);
    if (refresh) {
      this.revokeGrant(refresh.grantId);
      return true;
    }
    return false;
  }

  revokeAccessTokens(): void {
    for (const t of this.accessTokens.values()) t.status = 'revoked';
  }

  revokeAll(): void {
    this.revokeAccessTokens();
    for (const t of this.refreshTokens.values()) t.status = 'revoked';
    for (const c of this.codes.values()) c.used = true;
  }

  countTokenRequest(grantType: string): void {
    this.counts.tokenRequests[grantType] = (this.counts.tokenRequests[grantType] ?? 0) + 1;
    if (grantType === 'refresh_token') this.counts.refreshGrants += 1;
  }
}
