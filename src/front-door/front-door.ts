import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { getOAuthProtectedResourceMetadataUrl, OAuthError, OAuthErrorCode, verifyBearerToken, type AuthInfo } from '@modelcontextprotocol/server';
import { NO_AUDIT, type AuditRecorder } from '../audit/index.js';
import type { Config, InboundAuthConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { signedInUser, type SignedInUserPrincipal } from '../principal/index.js';
import { challenge } from './challenge.js';
import {
  FrontDoorError,
  InsufficientScopeError,
  InvalidBearerRequestError,
  InvalidTokenError,
  MissingTokenError,
  TokenCheckUnavailableError,
} from './errors.js';
import { IntrospectionCheck } from './introspection.js';
import { IssuerMetadata } from './issuer-metadata.js';
import { JwtCheck } from './jwt.js';
import type { VerifiedToken } from './verified-token.js';

/** Longer tokens are refused before any parsing: real access tokens are a few kB at most. */
export const MAX_TOKEN_LENGTH = 8192;

/** RFC 6750 section 2.1: `Bearer` 1*SP b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Who a request comes from, once the front door let it in. */
export interface Caller {
  principal: SignedInUserPrincipal;
  token: VerifiedToken;
  /**
   * The bearer token as presented. It goes to one place only: the IdP that issued it, as the identity assertion of a
   * cross-app access token exchange (auth's IdentityAssertions). Never logged, stored or sent upstream.
   */
  presented: string;
}

export interface FrontDoorOptions {
  config: Config & { inboundAuth: InboundAuthConfig };
  /** switchboard's public origin (known once it listens, when no publicUrl is configured). */
  publicUrl: () => string;
  logger: Logger;
  /** How soon an unknown `kid` may fetch the issuer's key set again; default 30 s. */
  jwksCooldownMs?: number;
  /** Where refusals for a missing scope (permission denials) are recorded. */
  audit?: AuditRecorder;
}

/**
 * switchboard's own front door: every /mcp request must carry a bearer token from the configured issuer, for
 * switchboard's audience, before any MCP processing. The caller it names (issuer + user claim) becomes the principal
 * that owns sign-ins and sessions. The token itself is never logged, stored or sent upstream; with cross-app access
 * configured, it is held in memory as the user's identity assertion for the IdP that issued it.
 */
export class FrontDoor {
  private readonly auth: InboundAuthConfig;
  private readonly issuer: IssuerMetadata;
  private readonly jwt: JwtCheck;
  private readonly introspection: IntrospectionCheck | undefined;
  private readonly logger: Logger;

  constructor(private readonly options: FrontDoorOptions) {
    this.auth = options.config.inboundAuth;
    this.logger = options.logger.child({ component: 'front-door' });
    this.issuer = new IssuerMetadata(this.auth, options.config.security);
    this.jwt = new JwtCheck({ config: this.auth, jwksCooldownMs: options.jwksCooldownMs });
    this.introspection = this.auth.introspection ? new IntrospectionCheck(this.auth, this.auth.introspection) : undefined;
  }

  /** switchboard's MCP endpoint as a protected resource (RFC 9728 `resource`). */
  get resource(): string {
    return `${this.options.publicUrl().replace(/\/+$/, '')}/mcp`;
  }

  /** The `aud` a token must carry: configured, or switchboard's resource (RFC 8707). */
  get audience(): string {
    return this.auth.audience ?? this.resource;
  }

  get resourceMetadataUrl(): string {
    return getOAuthProtectedResourceMetadataUrl(new URL(this.resource));
  }

  /**
   * RFC 9728 section 2: the protected resource metadata MCP clients read after the 401 to find where to sign in. The
   * SDK's `oauthMetadataResponse` would also mirror the issuer's metadata as switchboard's own (the 2025-03-26
   * fallback), which would present switchboard as an authorization server; so only this document is served.
   */
  metadata(): Record<string, unknown> {
    return {
      resource: this.resource,
      authorization_servers: [this.auth.issuer],
      ...(this.auth.requiredScopes.length > 0 ? { scopes_supported: [...this.auth.requiredScopes] } : {}),
      bearer_methods_supported: ['header'],
      resource_name: 'switchboard',
    };
  }

  /** Checks a request's credentials; throws a FrontDoorError saying why it may not pass. */
  async authenticate(req: IncomingMessage, requiredScopes: readonly string[] = this.auth.requiredScopes): Promise<Caller> {
    // RFC 6750 section 2.3 / MCP 2025-11-25 basic/authorization#access-token-usage: never in the query string.
    if (new URL(req.url ?? '/', 'http://x').searchParams.has('access_token')) {
      throw new InvalidBearerRequestError('query-token', 'access tokens are accepted in the Authorization header only, never in the URL');
    }
    // Node keeps the first of repeated Authorization headers; the raw list shows them all (RFC 6750 section 3.1).
    const headers = req.rawHeaders.filter((_, i) => i % 2 === 0 && req.rawHeaders[i]!.toLowerCase() === 'authorization');
    if (headers.length > 1) throw new InvalidBearerRequestError('several-headers', 'the request carries more than one Authorization header');
    const header = req.headers.authorization;
    if (header === undefined || header === '') throw new MissingTokenError();
    if (header.length > MAX_TOKEN_LENGTH + 16) throw new InvalidTokenError('too-long', `the token is longer than ${MAX_TOKEN_LENGTH} characters`);
    const token = BEARER.exec(header)?.[1];
    if (!token) throw new InvalidTokenError('malformed', 'expected "Authorization: Bearer <token>"');
    let verified: VerifiedToken | undefined;
    try {
      // The SDK's bearer check runs the verifier, then enforces the scopes and the expiry on what it returned.
      await verifyBearerToken(`Bearer ${token}`, {
        verifier: {
          verifyAccessToken: async (presented): Promise<AuthInfo> => {
            verified = await this.check(presented);
            return { token: presented, clientId: verified.clientId, scopes: verified.scopes, expiresAt: verified.expiresAt };
          },
        },
        requiredScopes: [...requiredScopes],
      });
    } catch (error) {
      if (error instanceof OAuthError) {
        if (error.code === OAuthErrorCode.InsufficientScope) {
          const missing = requiredScopes.filter((scope) => !verified?.scopes.includes(scope));
          (this.options.audit ?? NO_AUDIT).record({
            user: verified?.subject ?? 'anonymous', action: 'access', resourceType: 'endpoint', resourceId: new URL((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/', 'http://x').pathname, outcome: 'denied',
            reason: `the token lacks the scope ${missing.join(' ')}`,
          });
          throw new InsufficientScopeError([...requiredScopes]);
        }
        throw new InvalidTokenError('expired', 'the token has expired');
      }
      throw error;
    }
    return { principal: signedInUser(verified!.issuer, verified!.subject), token: verified!, presented: token };
  }

  /** JWTs are verified locally; anything else is introspected when the IdP offers that. */
  private async check(token: string): Promise<VerifiedToken> {
    const endpoints = await this.issuer.endpoints();
    if (JWT_SHAPE.test(token) && endpoints.jwksUri) return this.jwt.verify(token, endpoints.jwksUri, this.audience);
    if (this.introspection && endpoints.introspectionEndpoint) return this.introspection.verify(token, endpoints.introspectionEndpoint, this.audience);
    throw new InvalidTokenError('malformed', 'the token is not a JWT, and no introspection is configured');
  }

  /**
   * Express middleware for /mcp, before body parsing: a request passes with `res.locals.caller` set, or is answered
   * here. A token check that cannot run (the IdP is down) fails closed with 503 and a log line. `requiredScopes`:
   * those of /mcp by default; the admin API asks for its own, per action.
   */
  gate(requiredScopes: readonly string[] = this.auth.requiredScopes) {
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      let caller: Caller;
      try {
        caller = await this.authenticate(req, requiredScopes);
      } catch (error) {
        if (!(error instanceof FrontDoorError)) return next(error);
        this.refuse(res, error);
        return;
      }
      setCaller(res, caller);
      next();
    };
  }

  /** The route of the protected resource metadata, with CORS open so browser-based clients can read it. */
  routes(): express.Router {
    const router = express.Router();
    router.get(new URL(this.resourceMetadataUrl).pathname, (_req, res) => {
      res.set('access-control-allow-origin', '*').set('cache-control', 'max-age=3600').json(this.metadata());
    });
    return router;
  }

  private refuse(res: Response, refusal: FrontDoorError): void {
    const kind = (refusal as { kind?: string }).kind ?? refusal.name;
    if (refusal instanceof TokenCheckUnavailableError) {
      this.logger.error({ kind, error: refusal.message }, 'front door cannot check tokens; refusing requests (503) until it can');
      res.set('retry-after', '5');
    } else {
      this.logger.debug({ kind, status: refusal.status }, 'front door refused a request');
    }
    if (refusal.status !== 400 && refusal.status !== 503) {
      const requiredScopes = refusal instanceof InsufficientScopeError ? refusal.required : this.auth.requiredScopes;
      res.set('www-authenticate', challenge(refusal, { resourceMetadataUrl: this.resourceMetadataUrl, requiredScopes }));
    }
    const body = refusal.code ? { error: refusal.code, error_description: refusal.message } : { error: 'unauthorized', error_description: refusal.message };
    res.status(refusal.status).json(body);
  }
}

const CALLER = 'switchboardCaller';

function setCaller(res: Response, caller: Caller): void {
  res.locals[CALLER] = caller;
}

/** The caller the front door let in, or undefined when switchboard has no front door. */
export function callerOf(res: Response): Caller | undefined {
  return res.locals[CALLER] as Caller | undefined;
}
