/** A principal was built from a missing or empty part (a session id, user name, issuer or subject). */
export class InvalidPrincipalError extends TypeError {
  override name = 'InvalidPrincipalError';
}
