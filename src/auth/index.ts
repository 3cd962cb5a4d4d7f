export { AuthManager } from './upstream-auth.js';
export { StaticServerCredentials } from './static-credentials.js';
export type { ServerAuthInfo } from './server-info.js';
export type { CompletedSignIn, SignInStart } from './sign-in-flow.js';
export type { TokenService } from './token-service.js';
export { SignInStates } from './sign-in-states.js';
export { SignInState, type AuthRequiredEntry, type SignInBegun, type SignInNeed, type SignedIn } from './sign-in-state.js';
export { authRoutes } from './routes.js';
export type { IdentityAssertions } from './identity-assertions.js';
export {
  DiscoveryError,
  BlockedUrlError,
  ResourceMismatchError,
  IssuerMismatchError,
  PkceNotSupportedError,
  MetadataNotFoundError,
  UnexpectedStatusError,
  FetchFailedError,
  ResponseTooLargeError,
  FetchTimeoutError,
  TooManyRedirectsError,
  InvalidMetadataError,
  SignInError,
  UnknownStateError,
  SignInStoreUnavailableError,
  AuthorizationDeniedError,
  CallbackIssuerError,
  TokenRequestError,
  NoClientIdentityError,
  IssuerNotAllowedError,
  GrantRevokedError,
  StepUpLimitError,
  NotSignedInError,
  NotRemoteServerError,
  NoTokenEndpointError,
  CrossAppAccessError,
  type CrossAppAccessFailure,
} from './errors.js';
