const INTROSPECTION_TIMEOUT_MS = 5000;

/** What the MCP server learns about a token; never the token itself. */
export interface TokenClaims {
  sub?: string;
  aud?: string | string[];
  scope?: string;
  jti?: string;
  client_id?: string;
  exp?: number;
  iss?: string;
}

export type IntrospectionResult = { active: true; claims: TokenClaims } | { active: false };

/** The authorization server could not be asked (network error, non-200, bad JSON). */
export class IntrospectionUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntrospectionUnavailableError';
  }
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * RFC 7662 token introspection. Asking the AS on every request (no cache)
 * makes revocation and the AS's mock clock take effect at once.
 */
export async function introspect(introspectionUrl: string, token: string): Promise<IntrospectionResult> {
  let body: unknown;
  try {
    const response = await fetch(introspectionUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
      signal: AbortSignal.timeout(INTROSPECTION_TIMEOUT_MS),
    });
    if (response.status !== 200) throw new Error(`status ${response.status}`);
    body = await response.json();
  } catch (error) {
    throw new IntrospectionUnavailableError(`introspection failed: ${(error as Error).message}`);
  }
  if (typeof body !== 'object' || body === null) throw new IntrospectionUnavailableError('introspection answered a non-object');
  const data = body as Record<string, unknown>;
  // RFC 7662 §2.2: only `active: true` (a boolean) means active; refresh tokens are not access tokens.
  if (data.active !== true || (data.token_type !== undefined && String(data.token_type).toLowerCase() !== 'bearer')) return { active: false };
  const aud = data.aud;
  const claims: TokenClaims = {};
  const sub = optionalString(data.sub);
  if (sub !== undefined) claims.sub = sub;
  if (typeof aud === 'string' || (Array.isArray(aud) && aud.every((a) => typeof a === 'string'))) claims.aud = aud as string | string[];
  const scope = optionalString(data.scope);
  if (scope !== undefined) claims.scope = scope;
  const jti = optionalString(data.jti);
  if (jti !== undefined) claims.jti = jti;
  const clientId = optionalString(data.client_id);
  if (clientId !== undefined) claims.client_id = clientId;
  if (typeof data.exp === 'number') claims.exp = data.exp;
  const iss = optionalString(data.iss);
  if (iss !== undefined) claims.iss = iss;
  return { active: true, claims };
}
