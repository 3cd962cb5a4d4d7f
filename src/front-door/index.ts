/**
 * switchboard's own front door (issue 7): an OAuth-protected /mcp. Every request carries a bearer token from the
 * configured issuer; the caller it names becomes the principal.
 *
 *   const frontDoor = new FrontDoor({ config, publicUrl: () => auth.publicUrl, logger });
 *   app.use(frontDoor.routes());            // RFC 9728 protected resource metadata
 *   mcp.use(frontDoor.gate());              // before any MCP processing
 *   const caller = callerOf(res);           // { principal: user(issuer, subject), token }
 */
export { FrontDoor, callerOf, MAX_TOKEN_LENGTH, type Caller, type FrontDoorOptions } from './front-door.js';
export { CLOCK_TOLERANCE_SECONDS } from './jwt.js';
export type { VerifiedToken } from './verified-token.js';
export {
  FrontDoorError,
  MissingTokenError,
  InvalidBearerRequestError,
  InvalidTokenError,
  InsufficientScopeError,
  TokenCheckUnavailableError,
  type InvalidRequestKind,
  type InvalidTokenKind,
  type UnavailableKind,
} from './errors.js';
