/**
 * A mock OAuth 2.1 authorization server for tests: real HTTP, controllable
 * clock, fault injection and inspection. See README.md.
 */
export { startMockAuthServer, type MockAuthServer, type MintAccessTokenInput } from './server.js';
export type { MockAuthServerOptions, MutableAuthServerOptions, PreRegisteredClient, MetadataEndpoint, ResolvedAuthServerOptions } from './options.js';
export type { MockClock } from './clock.js';
export type { FailureEndpoint, InjectedFailure, FailNextOptions } from './failures.js';
export type { AuthServerSnapshot } from './inspection.js';
export type { AuthServerEndpoints } from './metadata.js';
export type {
  AccessTokenStatus,
  AuthorizationRequestRecord,
  AuthServerCounts,
  ClientAuthMethod,
  ClientRecord,
  ClientSource,
  IdJagRecord,
  GrantType,
  IssuedAccessToken,
  IssuedRefreshToken,
  RefreshTokenStatus,
  RegistrationRecord,
  TokenRequestRecord,
} from './state.js';
