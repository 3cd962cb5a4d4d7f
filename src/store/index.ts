export type { AccessToken, ClientRegistration, Grant, PendingSignIn, SignInNotice, TokenStore } from './types.js';
export { createTokenStore, type TokenStoreOptions } from './create.js';
export { LockTimeoutError, StoreConfigError, StoreUnavailableError } from './errors.js';
export { Sealer } from './sealed.js';
