import type { Principal, SessionPrincipal } from '../principal/index.js';
import type { AccessToken } from '../store/index.js';
import type { BearerChallenge } from './discovery/index.js';
import type { ServerAuthInfo } from './server-info.js';
import type { CompletedSignIn, SignInStart } from './sign-in-flow.js';

/**
 * What a principal's sign-in state needs from upstream OAuth: server info, tokens, sign-ins and their completion.
 * AuthManager is the real one; a test fakes it in a few lines:
 *
 *   const tokens: TokenService = {
 *     resolve: async (server) => infoOf(server), tokenFor: async () => undefined,
 *     beginSignIn: async () => ({ authorizationUrl: 'https://as.example/authorize?state=s1', state: 's1' }),
 *     onSignIn: (listener) => { hear = listener; return () => {}; },
 *     signOut: async () => {}, forgetSession: async () => {},
 *   };
 */
export interface TokenService {
  /**
   * Discovery for a server that asked for a sign-in (RFC 9728, RFC 8414); the challenge is its 401's. `fresh`: not
   * from the cache (the server refused a token; it may have moved to another authorization server).
   */
  resolve(server: string, challenge?: BearerChallenge, options?: { fresh?: boolean }): Promise<ServerAuthInfo>;
  /** A usable token for the server's resource, or undefined when a sign-in is needed. Never `rejected` again. */
  tokenFor(principal: Principal, info: ServerAuthInfo, rejected?: string): Promise<AccessToken | undefined>;
  /** Starts a sign-in; `alsoFor` are the resources of other servers of the issuer (single sign-on). */
  beginSignIn(principal: Principal, info: ServerAuthInfo, scope: string | undefined, alsoFor: readonly string[]): Promise<SignInStart>;
  /** Hears every sign-in that completes in this process, of any principal. */
  onSignIn(listener: (event: CompletedSignIn) => void): () => void;
  /** Signs out of an issuer, or of one resource of it. */
  signOut(principal: Principal, issuer: string, resource?: string): Promise<void>;
  /** A session ended: its grants go with it. */
  forgetSession(principal: SessionPrincipal): Promise<void>;
}
