export type { AccessToken, ClientRegistration, Grant, GrantOfPrincipal, PendingSignIn, ServerNotice, SignInNotice, StoredServer, TokenStore } from './types.js';
export { createEventStores, createTokenStore, type EventStoreOptions, type TokenStoreOptions } from './create.js';
export type { EventStores, SessionEventStore } from './event-store.js';
export { LockTimeoutError, StoreConfigError, StoreUnavailableError } from './errors.js';
export { Sealer } from './sealed.js';
