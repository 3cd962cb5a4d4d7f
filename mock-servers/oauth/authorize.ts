import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { renderApprovalPage } from './approval-page.js';
import { isMetadataDocumentClientId, loadMetadataDocumentClient } from './cimd.js';
import type { RouteContext } from './context.js';
import { OAuthErrorResponse, UntrustedAuthorizationRequestError } from './errors.js';
import { firstValues, formParams, isValidResourceIndicator, queryParams, scopeSet } from './http.js';
import type { AuthorizationRequestRecord, ClientRecord } from './state.js';

/** The part of a request that decides where errors may be sent (RFC 6749 §4.1.2.1). */
interface TrustedTarget {
  client: ClientRecord;
  redirectUri: string;
  redirectUriSent: boolean;
  state: string | undefined;
}

interface ValidatedRequest extends TrustedTarget {
  scope: string;
  resources: string[];
  codeChallenge: string | undefined;
  codeChallengeMethod: string | undefined;
}

interface PendingApproval {
  request: ValidatedRequest;
  record: AuthorizationRequestRecord;
}

const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

function onlyValue(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw new UntrustedAuthorizationRequestError('invalid_request', `parameter ${name} repeated`);
  return values[0];
}

/**
 * Establishes the client and redirect_uri. Failures here are shown to the user,
 * never redirected: the redirect target is not trusted yet (RFC 6749 §4.1.2.1).
 */
async function resolveTarget(params: URLSearchParams, ctx: RouteContext): Promise<TrustedTarget> {
  const clientId = onlyValue(params, 'client_id');
  if (!clientId) throw new UntrustedAuthorizationRequestError('invalid_request', 'client_id missing');
  let client = ctx.state.clients.get(clientId);
  // A URL client_id is a Client ID Metadata Document: re-fetched on every request so tests can change it.
  if ((!client || client.source === 'cimd') && isMetadataDocumentClientId(clientId) && ctx.options().cimd) {
    client = await loadMetadataDocumentClient(clientId, ctx.state);
  }
  if (!client) throw new UntrustedAuthorizationRequestError('invalid_client', 'unknown client_id');
  const redirectUri = onlyValue(params, 'redirect_uri');
  if (redirectUri !== undefined) {
    // OAuth 2.1 §4.1.1: exact string comparison with a registered redirect URI.
    if (!client.redirectUris.includes(redirectUri)) throw new UntrustedAuthorizationRequestError('invalid_request', 'redirect_uri is not registered for this client');
    return { client, redirectUri, redirectUriSent: true, state: onlyValue(params, 'state') };
  }
  const only = client.redirectUris.length === 1 ? client.redirectUris[0] : undefined;
  if (only === undefined) throw new UntrustedAuthorizationRequestError('invalid_request', 'redirect_uri missing');
  return { client, redirectUri: only, redirectUriSent: false, state: onlyValue(params, 'state') };
}

/** Checks whose failures are redirected back to the client as `error=...`. */
function validateRequest(params: URLSearchParams, target: TrustedTarget, ctx: RouteContext): ValidatedRequest {
  const options = ctx.options();
  const responseType = params.get('response_type');
  if (!responseType) throw new OAuthErrorResponse('invalid_request', 'response_type missing');
  if (responseType !== 'code') throw new OAuthErrorResponse('unsupported_response_type', 'only response_type=code is supported');
  if (!target.client.grantTypes.includes('authorization_code')) throw new OAuthErrorResponse('unauthorized_client', 'client is not registered for authorization_code');

  const codeChallenge = params.get('code_challenge') ?? undefined;
  // RFC 7636 §4.3: the method defaults to plain when omitted.
  const codeChallengeMethod = codeChallenge !== undefined ? (params.get('code_challenge_method') ?? 'plain') : undefined;
  if (options.pkce === 'required') {
    // OAuth 2.1 §4.1.1 and MCP authorization: PKCE with S256 is mandatory.
    if (codeChallenge === undefined) throw new OAuthErrorResponse('invalid_request', 'code_challenge required');
    if (codeChallengeMethod !== 'S256') throw new OAuthErrorResponse('invalid_request', 'code_challenge_method must be S256');
  }
  if (codeChallenge !== undefined) {
    if (codeChallengeMethod !== 'S256' && codeChallengeMethod !== 'plain') throw new OAuthErrorResponse('invalid_request', 'unsupported code_challenge_method');
    // RFC 7636 §4.2: an S256 challenge is the base64url SHA-256 of the verifier, 43 characters.
    if (codeChallengeMethod === 'S256' && !S256_CHALLENGE.test(codeChallenge)) throw new OAuthErrorResponse('invalid_request', 'malformed code_challenge');
  }

  const scopes = scopeSet(params.get('scope') ?? undefined);
  if (options.scopesSupported) {
    const unknown = scopes.filter((s) => !options.scopesSupported?.includes(s));
    if (unknown.length > 0) throw new OAuthErrorResponse('invalid_scope', `unsupported scope: ${unknown.join(' ')}`);
  }
  const resources = params.getAll('resource');
  if (!resources.every(isValidResourceIndicator)) throw new OAuthErrorResponse('invalid_target', 'resource must be an absolute URI without fragment');

  return { ...target, scope: scopes.join(' '), resources, codeChallenge, codeChallengeMethod };
}

function redirectBack(res: Response, target: TrustedTarget, values: Record<string, string | undefined>, ctx: RouteContext): void {
  const url = new URL(target.redirectUri);
  for (const [key, value] of Object.entries(values)) if (value !== undefined) url.searchParams.set(key, value);
  if (target.state !== undefined) url.searchParams.set('state', target.state);
  // RFC 9207 §2: identify the issuer in every authorization response, success or error.
  if (ctx.options().issParameter) url.searchParams.set('iss', ctx.issuer);
  res.redirect(302, url.href);
}

function approve(res: Response, request: ValidatedRequest, record: AuthorizationRequestRecord, sub: string, ctx: RouteContext): void {
  const code = ctx.state.issueCode({
    clientId: request.client.clientId,
    redirectUri: request.redirectUri,
    redirectUriSent: request.redirectUriSent,
    scope: request.scope,
    resources: request.resources,
    ...(request.codeChallenge !== undefined ? { codeChallenge: request.codeChallenge } : {}),
    ...(request.codeChallengeMethod !== undefined ? { codeChallengeMethod: request.codeChallengeMethod } : {}),
    sub,
  });
  record.outcome = 'approved';
  record.sub = sub;
  ctx.log.info({ event: 'authorize.approved', clientId: request.client.clientId, sub, scope: request.scope }, 'authorization approved');
  redirectBack(res, request, { code: code.code }, ctx);
}

function deny(res: Response, request: TrustedTarget, record: AuthorizationRequestRecord, ctx: RouteContext): void {
  record.outcome = 'denied';
  record.error = 'access_denied';
  ctx.log.info({ event: 'authorize.denied', clientId: request.client.clientId }, 'authorization denied');
  redirectBack(res, request, { error: 'access_denied', error_description: 'the resource owner denied the request' }, ctx);
}

export function createAuthorizeHandler(ctx: RouteContext): (req: Request, res: Response) => Promise<void> {
  const pending = new Map<string, PendingApproval>();

  function handleDecision(params: URLSearchParams, res: Response): void {
    const tx = params.get('tx') ?? '';
    const approval = pending.get(tx);
    pending.delete(tx);
    if (!approval) {
      res.status(400).json({ error: 'invalid_request', error_description: 'unknown or already used sign-in transaction' });
      return;
    }
    if (params.get('decision') === 'approve') {
      const username = (params.get('username') ?? '').trim();
      approve(res, approval.request, approval.record, username === '' ? ctx.state.user : username, ctx);
    } else {
      deny(res, approval.request, approval.record, ctx);
    }
  }

  async function handleRequest(req: Request, res: Response, params: URLSearchParams): Promise<void> {
    const record: AuthorizationRequestRecord = {
      at: ctx.state.clock.now(),
      httpMethod: req.method,
      params: firstValues(params),
      resources: params.getAll('resource'),
      outcome: 'error',
    };
    ctx.state.authorizationRequests.push(record);
    ctx.state.counts.authorizationRequests += 1;

    const failure = ctx.failures.take('authorize');
    if (failure === 'hang') {
      record.outcome = 'injected-failure';
      return;
    }
    if (failure && (failure.status < 300 || failure.status > 399)) {
      record.outcome = 'injected-failure';
      record.error = failure.error;
      res.status(failure.status).json({ error: failure.error, ...(failure.description !== undefined ? { error_description: failure.description } : {}) });
      return;
    }

    let target: TrustedTarget;
    try {
      target = await resolveTarget(params, ctx);
    } catch (error) {
      if (!(error instanceof OAuthErrorResponse)) throw error;
      record.error = error.code;
      ctx.log.info({ event: 'authorize.rejected', error: error.code }, 'authorization request rejected without redirect');
      res.status(error.status).json(error.toJSON());
      return;
    }
    record.clientSource = target.client.source;

    if (failure) {
      record.outcome = 'injected-failure';
      record.error = failure.error;
      redirectBack(res, target, { error: failure.error, error_description: failure.description }, ctx);
      return;
    }

    let request: ValidatedRequest;
    try {
      request = validateRequest(params, target, ctx);
    } catch (error) {
      if (!(error instanceof OAuthErrorResponse)) throw error;
      record.error = error.code;
      redirectBack(res, target, { error: error.code, error_description: error.description }, ctx);
      return;
    }

    if (ctx.options().approval === 'auto') {
      approve(res, request, record, ctx.state.user, ctx);
      return;
    }
    const transactionId = randomUUID();
    pending.set(transactionId, { request, record });
    record.outcome = 'pending';
    res
      .status(200)
      .type('html')
      .set('Cache-Control', 'no-store')
      .send(
        renderApprovalPage({
          action: ctx.endpoints.authorization,
          transactionId,
          clientId: request.client.clientId,
          ...(request.client.clientName !== undefined ? { clientName: request.client.clientName } : {}),
          scope: request.scope,
          resources: request.resources,
          defaultUser: ctx.state.user,
        }),
      );
  }

  return async (req, res) => {
    if (req.method === 'POST') {
      const params = formParams(req);
      // The sign-in form posts back a transaction id; any other POST is an authorization request (RFC 6749 §3.1 allows POST).
      if (params.has('tx')) {
        handleDecision(params, res);
        return;
      }
      return handleRequest(req, res, params);
    }
    return handleRequest(req, res, queryParams(req));
  };
}
