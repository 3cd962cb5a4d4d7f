export type { AccessToken, ClientRegistration, Grant, GrantOfPrincipal, HeldCalls, HeldRound, HeldRoundAnswer, HeldRoundNotification, PendingSignIn, ServerNotice, SignInNotice, StoredServer, TokenStore } from './types.js';
export { createEventStores, createTokenStore, requestStateSealer, type EventStoreOptions, type TokenStoreOptions } from './create.js';
export type { EventStores, SessionEventStore } from './event-store.js';
export { HeldCallLostError, LockTimeoutError, StoreConfigError, StoreUnavailableError } from './errors.js';
export { Sealer } from './sealed.js';
