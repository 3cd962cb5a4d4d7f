import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { RouteContext } from './context.js';
import { OAuthErrorResponse } from './errors.js';
import { noStore, sendInjectedFailure, sendOAuthError } from './http.js';
import { randomToken } from './state.js';
import type { ClientAuthMethod, ClientRecord, RegistrationRecord } from './state.js';

const AUTH_METHODS: readonly ClientAuthMethod[] = ['none', 'client_secret_basic', 'client_secret_post'];

function stringArray(value: unknown, field: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw new OAuthErrorResponse('invalid_client_metadata', `${field} must be an array of strings`);
  }
  return value;
}

/** RFC 7591 §2: redirect URIs are absolute and carry no fragment. */
function checkRedirectUri(uri: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new OAuthErrorResponse('invalid_redirect_uri', `not an absolute URI: ${uri}`);
  }
  if (url.hash !== '' || uri.includes('#')) throw new OAuthErrorResponse('invalid_redirect_uri', `redirect URI has a fragment: ${uri}`);
}

function register(body: unknown, ctx: RouteContext): { client: ClientRecord; response: Record<string, unknown> } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new OAuthErrorResponse('invalid_client_metadata', 'body must be a JSON object');
  const metadata = body as Record<string, unknown>;
  // Lenient default: refresh tokens for clients that do not say, as MCP clients expect them.
  const grantTypes = stringArray(metadata.grant_types, 'grant_types') ?? ['authorization_code', 'refresh_token'];
  const redirectUris = stringArray(metadata.redirect_uris, 'redirect_uris') ?? [];
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0) throw new OAuthErrorResponse('invalid_redirect_uri', 'redirect_uris required for authorization_code');
  redirectUris.forEach(checkRedirectUri);
  // RFC 7591 §2: token_endpoint_auth_method defaults to client_secret_basic.
  const method = metadata.token_endpoint_auth_method ?? 'client_secret_basic';
  if (typeof method !== 'string' || !AUTH_METHODS.includes(method as ClientAuthMethod)) {
    throw new OAuthErrorResponse('invalid_client_metadata', `unsupported token_endpoint_auth_method ${String(method)}`);
  }
  const authMethod = method as ClientAuthMethod;
  const clientId = `dcr-${randomUUID()}`;
  const clientSecret = authMethod === 'none' ? undefined : randomToken();
  const now = ctx.state.clock.now();
  const client: ClientRecord = {
    clientId,
    ...(clientSecret !== undefined ? { clientSecret } : {}),
    redirectUris,
    tokenEndpointAuthMethod: authMethod,
    grantTypes,
    ...(typeof metadata.client_name === 'string' ? { clientName: metadata.client_name } : {}),
    source: 'dcr',
    registeredAt: now,
    metadata,
  };
  // RFC 7591 §3.2.1: the response echoes the registered metadata plus the issued credentials.
  const response = {
    ...metadata,
    client_id: clientId,
    client_id_issued_at: now,
    ...(clientSecret !== undefined ? { client_secret: clientSecret, client_secret_expires_at: 0 } : {}),
    redirect_uris: redirectUris,
    grant_types: grantTypes,
    response_types: stringArray(metadata.response_types, 'response_types') ?? ['code'],
    token_endpoint_auth_method: authMethod,
  };
  return { client, response };
}

export function createRegistrationHandler(ctx: RouteContext): (req: Request, res: Response) => void {
  return (req, res) => {
    const body: unknown = req.body;
    const record: RegistrationRecord = { at: ctx.state.clock.now(), request: typeof body === 'object' && body !== null ? { ...(body as Record<string, unknown>) } : {}, outcome: 'error' };
    ctx.state.registrations.push(record);
    ctx.state.counts.registrations += 1;
    if (sendInjectedFailure(res, ctx.failures.take('register'))) {
      record.outcome = 'injected-failure';
      return;
    }
    try {
      const { client, response } = register(body, ctx);
      ctx.state.clients.set(client.clientId, client);
      record.outcome = 'registered';
      record.clientId = client.clientId;
      ctx.log.info({ event: 'client.registered', clientId: client.clientId, authMethod: client.tokenEndpointAuthMethod }, 'client registered');
      noStore(res).status(201).json(response);
    } catch (error) {
      if (!(error instanceof OAuthErrorResponse)) throw error;
      record.error = error.code;
      sendOAuthError(res, error);
    }
  };
}
