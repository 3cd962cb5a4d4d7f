export { UpstreamConnection, type ConnectionUser, type CallOptions, type UpstreamConnectionOptions } from './connection.js';
export { ConnectionPool, RELAYABLE_CAPABILITIES, type LeaseRequest } from './pool.js';
export { HealthMonitor, type ServerHealth } from './health.js';
export { UpstreamRequestError, UpstreamTimeoutError, UpstreamUnavailableError } from './errors.js';
export { LEGACY_VERDICT_HORIZON_MS, MemoryEraVerdicts, type EraVerdictCache } from './verdicts.js';
export { createUpstreamFetch, type AuthChallenge, type SignInCredentials, type StaticCredentials, type UpstreamCredentials } from './fetch.js';
export { EMPTY_CATALOG, type CatalogPart, type UpstreamCatalog, type UpstreamState } from './state.js';
export { backoffDelay, type BackoffPolicy } from './backoff.js';
export { paramHeaderMismatch, paramHeaderValues, scanParamHeaders, type ParamHeader, type ParamHeaderScan } from './param-headers.js';
