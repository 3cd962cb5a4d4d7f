export {
  localUser,
  principalFromKey,
  principalKey,
  samePrincipal,
  sessionPrincipal,
  signedInUser,
  type LocalUserPrincipal,
  type Principal,
  type SessionPrincipal,
  type SignedInUserPrincipal,
} from './principal.js';
export { InvalidPrincipalError } from './errors.js';
