import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { authenticateClient, guessClientAuthMethod } from './client-auth.js';
import type { RouteContext } from './context.js';
import { OAuthErrorResponse } from './errors.js';
import { firstValues, formParams, isValidResourceIndicator, noStore, scopeSet, sendInjectedFailure, sendOAuthError, single } from './http.js';
import { jwtBearerGrant, tokenExchangeGrant, type TokenExchangeResponse } from './cross-app-access.js';
import { JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT, type ClientRecord, type IssuedAccessToken, type IssuedRefreshToken, type TokenRequestRecord } from './state.js';

interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope?: string;
  refresh_token?: string;
}

/** RFC 7636 §4.1: 43-128 characters of [A-Z a-z 0-9 - . _ ~]. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

function tokenResponse(access: IssuedAccessToken, refresh: IssuedRefreshToken | undefined, now: number): TokenResponse {
  return {
    access_token: access.token,
    token_type: 'Bearer',
    expires_in: access.expiresAt - now,
    ...(access.scope !== '' ? { scope: access.scope } : {}),
    ...(refresh ? { refresh_token: refresh.token } : {}),
  };
}

/** RFC 8707 §2: every resource is an absolute URI, and at the token endpoint it must be one the grant covers. */
function checkResources(requested: string[], granted: string[]): void {
  if (!requested.every(isValidResourceIndicator)) throw new OAuthErrorResponse('invalid_target', 'resource must be an absolute URI without fragment');
  if (granted.length > 0) {
    const outside = requested.filter((r) => !granted.includes(r));
    if (outside.length > 0) throw new OAuthErrorResponse('invalid_target', 'resource was not part of the authorization grant');
  }
}

function checkScopesSupported(scopes: string[], ctx: RouteContext): void {
  const supported = ctx.options().scopesSupported;
  if (!supported) return;
  const unknown = scopes.filter((s) => !supported.includes(s));
  if (unknown.length > 0) throw new OAuthErrorResponse('invalid_scope', `unsupported scope: ${unknown.join(' ')}`);
}

function verifyPkce(challenge: string | undefined, method: string | undefined, verifier: string | undefined): void {
  if (challenge === undefined) {
    // OAuth 2.1 §4.1.3: a verifier without a challenge in the authorization request is an error (downgrade protection).
    if (verifier !== undefined) throw new OAuthErrorResponse('invalid_request', 'code_verifier sent but no code_challenge was');
    return;
  }
  if (verifier === undefined) throw new OAuthErrorResponse('invalid_request', 'code_verifier required');
  if (!VERIFIER.test(verifier)) throw new OAuthErrorResponse('invalid_grant', 'malformed code_verifier');
  // RFC 7636 §4.6.
  const computed = method === 'S256' ? createHash('sha256').update(verifier, 'ascii').digest('base64url') : verifier;
  if (computed !== challenge) throw new OAuthErrorResponse('invalid_grant', 'PKCE verification failed');
}

async function authorizationCodeGrant(params: URLSearchParams, client: ClientRecord, ctx: RouteContext): Promise<TokenResponse> {
  const { state } = ctx;
  const value = single(params, 'code');
  if (!value) throw new OAuthErrorResponse('invalid_request', 'code missing');
  const code = state.codes.get(value);
  if (!code) throw new OAuthErrorResponse('invalid_grant', 'unknown authorization code');
  if (code.used) {
    // RFC 6749 §4.1.2: a replayed code SHOULD revoke the tokens issued from it.
    state.revokeGrant(code.grantId);
    ctx.log.warn({ event: 'token.code_replay', clientId: client.clientId }, 'authorization code replayed; grant revoked');
    throw new OAuthErrorResponse('invalid_grant', 'authorization code already used');
  }
  if (code.clientId !== client.clientId) throw new OAuthErrorResponse('invalid_grant', 'authorization code was issued to another client');
  // One-time: burnt on first presentation, even if the rest of the request fails.
  code.used = true;
  if (code.expiresAt <= state.clock.now()) throw new OAuthErrorResponse('invalid_grant', 'authorization code expired');
  const redirectUri = single(params, 'redirect_uri');
  // RFC 6749 §4.1.3: redirect_uri must be present and identical when it was in the authorization request.
  if (code.redirectUriSent && redirectUri === undefined) throw new OAuthErrorResponse('invalid_grant', 'redirect_uri missing');
  if (redirectUri !== undefined && redirectUri !== code.redirectUri) throw new OAuthErrorResponse('invalid_grant', 'redirect_uri does not match the authorization request');
  verifyPkce(code.codeChallenge, code.codeChallengeMethod, single(params, 'code_verifier'));

  const resources = params.getAll('resource');
  checkResources(resources, code.resources);
  const access = await state.issueAccessToken({ grantType: 'authorization_code', clientId: client.clientId, sub: code.sub, scope: code.scope, resources, grantId: code.grantId });
  const refresh = client.grantTypes.includes('refresh_token')
    ? state.issueRefreshToken({ grantId: code.grantId, clientId: client.clientId, sub: code.sub, scope: code.scope, resources: code.resources.length > 0 ? code.resources : resources })
    : undefined;
  ctx.log.info({ event: 'token.issued', grantType: 'authorization_code', clientId: client.clientId, sub: code.sub, jti: access.jti }, 'token issued');
  return tokenResponse(access, refresh, state.clock.now());
}

async function refreshTokenGrant(params: URLSearchParams, client: ClientRecord, ctx: RouteContext): Promise<TokenResponse> {
  const { state } = ctx;
  const value = single(params, 'refresh_token');
  if (!value) throw new OAuthErrorResponse('invalid_request', 'refresh_token missing');
  const refresh = state.refreshTokens.get(value);
  if (!refresh) throw new OAuthErrorResponse('invalid_grant', 'unknown refresh token');
  if (refresh.clientId !== client.clientId) throw new OAuthErrorResponse('invalid_grant', 'refresh token was issued to another client');
  const status = state.refreshTokenStatus(refresh);
  if (status === 'rotated') {
    // OAuth 2.1 §4.3.1 / RFC 9700 §4.14.2: a rotated-out token coming back means it leaked; revoke the whole family.
    state.revokeGrant(refresh.grantId);
    ctx.log.warn({ event: 'token.refresh_reuse', clientId: client.clientId, sub: refresh.sub }, 'refresh token reuse detected; grant revoked');
    throw new OAuthErrorResponse('invalid_grant', 'refresh token reuse detected; grant revoked');
  }
  if (status !== 'active') throw new OAuthErrorResponse('invalid_grant', `refresh token ${status}`);

  const requestedScope = single(params, 'scope');
  let scope = refresh.scope;
  if (requestedScope !== undefined) {
    // RFC 6749 §6: a refresh may narrow the scope, never widen it.
    const granted = scopeSet(refresh.scope);
    const requested = scopeSet(requestedScope);
    if (!requested.every((s) => granted.includes(s))) throw new OAuthErrorResponse('invalid_scope', 'requested scope exceeds the original grant');
    scope = requested.join(' ');
  }
  const resources = params.getAll('resource');
  checkResources(resources, refresh.resources);

  let next: IssuedRefreshToken | undefined;
  if (ctx.options().rotateRefreshTokens) {
    refresh.status = 'rotated';
    next = state.issueRefreshToken({ grantId: refresh.grantId, clientId: client.clientId, sub: refresh.sub, scope: refresh.scope, resources: refresh.resources });
  }
  const access = await state.issueAccessToken({ grantType: 'refresh_token', clientId: client.clientId, sub: refresh.sub, scope, resources, grantId: refresh.grantId });
  ctx.log.info({ event: 'token.issued', grantType: 'refresh_token', clientId: client.clientId, sub: refresh.sub, jti: access.jti, rotated: next !== undefined }, 'token issued');
  return tokenResponse(access, next, state.clock.now());
}

async function clientCredentialsGrant(params: URLSearchParams, client: ClientRecord, ctx: RouteContext): Promise<TokenResponse> {
  // RFC 6749 §4.4: confidential clients only.
  if (client.tokenEndpointAuthMethod === 'none') throw new OAuthErrorResponse('unauthorized_client', 'client_credentials needs a confidential client');
  const scopes = scopeSet(single(params, 'scope'));
  checkScopesSupported(scopes, ctx);
  const resources = params.getAll('resource');
  checkResources(resources, []);
  // RFC 9068 §2.2: with no resource owner, sub is the client itself. No refresh token (RFC 6749 §4.4.3).
  const access = await ctx.state.issueAccessToken({ grantType: 'client_credentials', clientId: client.clientId, sub: client.clientId, scope: scopes.join(' '), resources });
  ctx.log.info({ event: 'token.issued', grantType: 'client_credentials', clientId: client.clientId, jti: access.jti }, 'token issued');
  return tokenResponse(access, undefined, ctx.state.clock.now());
}

const GRANTS: Record<string, (params: URLSearchParams, client: ClientRecord, ctx: RouteContext) => Promise<TokenResponse | TokenExchangeResponse>> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  [TOKEN_EXCHANGE_GRANT]: tokenExchangeGrant,
  // RFC 7523 section 3.1: no refresh token; the client presents a fresh assertion.
  [JWT_BEARER_GRANT]: async (params, client, ctx) => tokenResponse(await jwtBearerGrant(params, client, ctx), undefined, ctx.state.clock.now()),
};

export function createTokenHandler(ctx: RouteContext): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const params = formParams(req);
    const grantType = params.get('grant_type') ?? '';
    ctx.state.countTokenRequest(grantType);
    const record: TokenRequestRecord = {
      at: ctx.state.clock.now(),
      grantType,
      params: firstValues(params),
      resources: params.getAll('resource'),
      clientAuthMethod: guessClientAuthMethod(req, params),
      outcome: 'error',
    };
    const clientId = params.get('client_id');
    if (clientId !== null) record.clientId = clientId;
    ctx.state.tokenRequests.push(record);

    if (sendInjectedFailure(res, ctx.failures.take(grantType === 'refresh_token' ? 'refresh' : 'token'))) {
      record.outcome = 'injected-failure';
      return;
    }
    try {
      if (grantType === '') throw new OAuthErrorResponse('invalid_request', 'grant_type missing');
      const grant = GRANTS[grantType];
      if (!grant) throw new OAuthErrorResponse('unsupported_grant_type', `grant_type ${grantType} is not supported`);
      const { client, method } = await authenticateClient(req, params, ctx.state);
      record.clientId = client.clientId;
      record.clientAuthMethod = method;
      if (!client.grantTypes.includes(grantType)) throw new OAuthErrorResponse('unauthorized_client', `client is not registered for ${grantType}`);
      const body = await grant(params, client, ctx);
      record.outcome = 'issued';
      noStore(res).json(body);
    } catch (error) {
      if (!(error instanceof OAuthErrorResponse)) throw error;
      record.error = error.code;
      ctx.log.info({ event: 'token.rejected', grantType, clientId: record.clientId, error: error.code }, 'token request rejected');
      sendOAuthError(res, error);
    }
  };
}
