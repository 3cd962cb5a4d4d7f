export { AuthManager, type ServerAuthInfo, type CompletedSignIn } from './manager.js';
export { SessionAuth, type AuthRequiredEntry, type SessionAuthHost } from './session-auth.js';
export { authRoutes } from './routes.js';
export { SignInError } from './errors.js';
