import type { FailureEndpoint } from './failures.js';
import type {
  AuthorizationRequestRecord,
  AuthServerCounts,
  AuthServerState,
  ClientRecord,
  IdJagRecord,
  IssuedAccessToken,
  IssuedRefreshToken,
  RegistrationRecord,
  TokenRequestRecord,
} from './state.js';

/**
 * Everything a test may want to assert on, copied so callers cannot mutate the server.
 * Raw token values and secrets are present in-process only; see `redactSnapshot`.
 */
export interface AuthServerSnapshot {
  issuer: string;
  /** Mock-clock seconds. */
  now: number;
  user: string;
  counts: AuthServerCounts;
  /** Access tokens in issue order, `status` as of `now`. */
  tokens: IssuedAccessToken[];
  refreshTokens: IssuedRefreshToken[];
  clients: ClientRecord[];
  registrations: RegistrationRecord[];
  /** client_id URLs fetched as Client ID Metadata Documents, in order (one entry per fetch). */
  cimdFetches: string[];
  authorizationRequests: AuthorizationRequestRecord[];
  lastAuthorizationRequest: AuthorizationRequestRecord | undefined;
  tokenRequests: TokenRequestRecord[];
  lastTokenRequest: TokenRequestRecord | undefined;
  /** ID-JAGs issued as an IdP (cross-app access), in order. */
  idJags: IdJagRecord[];
  pendingFailures: Partial<Record<FailureEndpoint, number>>;
}

export function takeSnapshot(state: AuthServerState, pendingFailures: Partial<Record<FailureEndpoint, number>>): AuthServerSnapshot {
  const copy = <T>(value: T): T => structuredClone(value);
  const tokens = [...state.accessTokens.values()].map((t) => ({ ...copy(t), status: state.accessTokenStatus(t) }));
  const refreshTokens = [...state.refreshTokens.values()].map((t) => ({ ...copy(t), status: state.refreshTokenStatus(t) }));
  const authorizationRequests = copy(state.authorizationRequests);
  const tokenRequests = copy(state.tokenRequests);
  return {
    issuer: state.issuer,
    now: state.clock.now(),
    user: state.user,
    counts: copy(state.counts),
    tokens,
    refreshTokens,
    clients: copy([...state.clients.values()]),
    registrations: copy(state.registrations),
    cimdFetches: [...state.cimdFetches],
    authorizationRequests,
    lastAuthorizationRequest: authorizationRequests.at(-1),
    tokenRequests,
    lastTokenRequest: tokenRequests.at(-1),
    idJags: copy(state.idJags),
    pendingFailures,
  };
}

const SECRET_PARAMS = ['client_secret', 'refresh_token', 'token', 'client_assertion', 'subject_token', 'assertion'];

/**
 * The snapshot as served over HTTP at /_test/: raw tokens and client secrets
 * are dropped (a hash stays for comparison); PKCE verifiers and codes stay,
 * since tests need them and they are single-use.
 */
export function redactSnapshot(snapshot: AuthServerSnapshot): unknown {
  const redactParams = (params: Record<string, string>): Record<string, string> =>
    Object.fromEntries(Object.entries(params).map(([k, v]) => [k, SECRET_PARAMS.includes(k) ? '[redacted]' : v]));
  const tokenRequests = snapshot.tokenRequests.map((r) => ({ ...r, params: redactParams(r.params) }));
  return {
    ...snapshot,
    tokens: snapshot.tokens.map(({ token: _token, ...rest }) => rest),
    refreshTokens: snapshot.refreshTokens.map(({ token: _token, ...rest }) => rest),
    clients: snapshot.clients.map(({ clientSecret, ...rest }) => ({ ...rest, hasSecret: clientSecret !== undefined })),
    tokenRequests,
    lastTokenRequest: tokenRequests.at(-1),
  };
}
