import type { Request, Response } from 'express';
import type { RouteContext } from './context.js';
import { formParams, noStore, sendInjectedFailure } from './http.js';

/**
 * RFC 7662 introspection. Unauthenticated in this mock (the protected MCP
 * server calls it without credentials); `active` is judged on the mock clock,
 * so `clock.advance()` expires tokens for resource servers too.
 */
export function createIntrospectionHandler(ctx: RouteContext): (req: Request, res: Response) => void {
  return (req, res) => {
    ctx.state.counts.introspections += 1;
    if (sendInjectedFailure(res, ctx.failures.take('introspect'))) return;
    const token = formParams(req).get('token');
    if (!token) {
      noStore(res).status(400).json({ error: 'invalid_request', error_description: 'token missing' });
      return;
    }
    const { state } = ctx;
    const access = state.accessTokens.get(token);
    if (access && state.accessTokenStatus(access) === 'active') {
      noStore(res).json({
        active: true,
        token_type: 'Bearer',
        iss: ctx.issuer,
        sub: access.sub,
        client_id: access.clientId,
        ...(access.scope !== '' ? { scope: access.scope } : {}),
        ...(access.aud !== undefined ? { aud: access.aud } : {}),
        exp: access.expiresAt,
        iat: access.issuedAt,
        jti: access.jti,
      });
      return;
    }
    const refresh = state.refreshTokens.get(token);
    if (refresh && state.refreshTokenStatus(refresh) === 'active') {
      noStore(res).json({
        active: true,
        token_type: 'refresh_token',
        iss: ctx.issuer,
        sub: refresh.sub,
        client_id: refresh.clientId,
        ...(refresh.scope !== '' ? { scope: refresh.scope } : {}),
        ...(refresh.expiresAt !== undefined ? { exp: refresh.expiresAt } : {}),
        iat: refresh.issuedAt,
      });
      return;
    }
    // RFC 7662 §2.2: say nothing about why (unknown, expired and revoked look the same).
    noStore(res).json({ active: false });
  };
}

/** RFC 7009 revocation: 200 whether or not the token was known (§2.2). */
export function createRevocationHandler(ctx: RouteContext): (req: Request, res: Response) => void {
  return (req, res) => {
    ctx.state.counts.revocations += 1;
    if (sendInjectedFailure(res, ctx.failures.take('revoke'))) return;
    const token = formParams(req).get('token');
    if (!token) {
      noStore(res).status(400).json({ error: 'invalid_request', error_description: 'token missing' });
      return;
    }
    const known = ctx.state.revokeToken(token);
    ctx.log.info({ event: 'token.revoked', known }, 'revocation request');
    noStore(res).status(200).end();
  };
}
