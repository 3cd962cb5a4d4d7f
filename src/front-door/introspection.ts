import { createHash } from 'node:crypto';
import type { InboundAuthConfig } from '../config/index.js';
import { InvalidTokenError, TokenCheckUnavailableError } from './errors.js';
import { audienceIncludes, readClaims, type VerifiedToken } from './verified-token.js';

/** How long an answer is reused: a revoked token stops working within this time. */
const CACHE_MS = 30_000;
const CACHE_ENTRIES = 10_000;
const TIMEOUT_MS = 5_000;

interface Cached {
  until: number;
  outcome: VerifiedToken | InvalidTokenError;
}

/**
 * Checks opaque tokens by RFC 7662 introspection, with a short cache keyed by a hash of the token (the token itself is
 * kept nowhere). The front door authenticates as the configured client (RFC 7662 section 2.1, client_secret_basic).
 * Inactive answers are cached too, so a stranger replaying one bad token does not reach the IdP every time.
 */
export class IntrospectionCheck {
  private readonly cache = new Map<string, Cached>();

  constructor(private readonly config: InboundAuthConfig, private readonly client: { clientId: string; clientSecret: string }) {}

  async verify(token: string, endpoint: URL, audience: string): Promise<VerifiedToken> {
    const key = createHash('sha256').update(token).digest('base64url');
    const cached = this.cache.get(key);
    const now = Date.now();
    if (cached && cached.until > now) {
      if (cached.outcome instanceof InvalidTokenError) throw cached.outcome;
      return cached.outcome;
    }
    this.cache.delete(key);
    let outcome: VerifiedToken | InvalidTokenError;
    try {
      outcome = this.judge(await this.introspect(token, endpoint), audience);
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      outcome = error;
    }
    const until = outcome instanceof InvalidTokenError ? now + CACHE_MS : Math.min(now + CACHE_MS, outcome.expiresAt * 1000);
    if (this.cache.size >= CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { until, outcome });
    if (outcome instanceof InvalidTokenError) throw outcome;
    return outcome;
  }

  private async introspect(token: string, endpoint: URL): Promise<Record<string, unknown>> {
    // RFC 6749 section 2.3.1: the client id and secret are form-encoded before Basic encoding.
    const basic = Buffer.from(`${encodeURIComponent(this.client.clientId)}:${encodeURIComponent(this.client.clientSecret)}`).toString('base64');
    let response: Response;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: `Basic ${basic}` },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
        redirect: 'error',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new TokenCheckUnavailableError('introspection', `the introspection endpoint ${endpoint.origin}${endpoint.pathname} is unreachable: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`);
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw new TokenCheckUnavailableError('introspection', `the introspection endpoint ${endpoint.origin}${endpoint.pathname} answered HTTP ${response.status}`);
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (!body || typeof body !== 'object' || typeof (body as { active?: unknown }).active !== 'boolean') {
      throw new TokenCheckUnavailableError('introspection', `the introspection endpoint ${endpoint.origin}${endpoint.pathname} did not answer with an RFC 7662 document`);
    }
    return body as Record<string, unknown>;
  }

  /** RFC 7662 section 2.2: `active` decides; `iss`, `aud` and `exp` must say the token is ours and when it ends. */
  private judge(answer: Record<string, unknown>, audience: string): VerifiedToken {
    if (answer.active !== true) throw new InvalidTokenError('inactive', 'the token is not active (expired, revoked or unknown)');
    if (answer.iss !== undefined && answer.iss !== this.config.issuer) throw new InvalidTokenError('issuer', 'the token is from another issuer');
    if (!audienceIncludes(answer.aud, audience)) throw new InvalidTokenError('audience', 'the token was issued for another audience');
    if (typeof answer.exp !== 'number') throw new InvalidTokenError('no-expiry', 'the introspection answer has no expiry (exp)');
    if (typeof answer.nbf === 'number' && answer.nbf * 1000 > Date.now()) throw new InvalidTokenError('not-yet-valid', 'the token is not valid yet (nbf)');
    return readClaims(answer, this.config.issuer, answer.exp, this.config);
  }
}
