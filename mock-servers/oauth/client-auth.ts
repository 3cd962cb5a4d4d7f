import type { Request } from 'express';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JWK } from 'jose';
import { OAuthErrorResponse } from './errors.js';
import type { AuthServerState, ClientAuthMethod, ClientRecord } from './state.js';

/** RFC 7523 section 2.2: the client_assertion_type of a JWT client assertion. */
export const JWT_CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

interface PresentedCredentials {
  method: ClientAuthMethod;
  clientId: string | undefined;
  clientSecret: string | undefined;
  clientAssertion?: string;
}

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64. */
function decodeBasicPart(part: string): string {
  return decodeURIComponent(part.replace(/\+/g, ' '));
}

/** Reads which client authentication the request attempted, without checking it. */
export function presentedCredentials(req: Request, params: URLSearchParams): PresentedCredentials {
  const header = req.headers.authorization;
  if (header !== undefined && /^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) throw new OAuthErrorResponse('invalid_client', 'malformed Basic credentials', 401, { 'WWW-Authenticate': 'Basic realm="mock-oauth"' });
    let clientId: string;
    let clientSecret: string;
    try {
      clientId = decodeBasicPart(decoded.slice(0, colon));
      clientSecret = decodeBasicPart(decoded.slice(colon + 1));
    } catch {
      throw new OAuthErrorResponse('invalid_client', 'malformed Basic credentials', 401, { 'WWW-Authenticate': 'Basic realm="mock-oauth"' });
    }
    // RFC 6749 §2.3: a client MUST NOT use more than one authentication method per request.
    if (params.has('client_secret')) throw new OAuthErrorResponse('invalid_request', 'client authenticated with both Basic and client_secret');
    const bodyId = params.get('client_id');
    if (bodyId !== null && bodyId !== clientId) throw new OAuthErrorResponse('invalid_request', 'client_id in body differs from Basic credentials');
    return { method: 'client_secret_basic', clientId, clientSecret };
  }
  const assertion = params.get('client_assertion');
  if (assertion !== null || params.has('client_assertion_type')) {
    if (params.get('client_assertion_type') !== JWT_CLIENT_ASSERTION_TYPE || assertion === null) {
      throw new OAuthErrorResponse('invalid_client', `client_assertion needs client_assertion_type ${JWT_CLIENT_ASSERTION_TYPE}`, 401);
    }
    if (params.has('client_secret')) throw new OAuthErrorResponse('invalid_request', 'client authenticated with both a client assertion and client_secret');
    let subject: string | undefined;
    try {
      subject = decodeJwt(assertion).sub;
    } catch {
      throw new OAuthErrorResponse('invalid_client', 'the client assertion is not a JWT', 401);
    }
    // RFC 7523 section 3, item 2: `sub` is the client_id; a client_id beside it must agree.
    const bodyId = params.get('client_id');
    if (bodyId !== null && bodyId !== subject) throw new OAuthErrorResponse('invalid_client', 'client_id differs from the assertion\'s sub', 401);
    return { method: 'private_key_jwt', clientId: subject, clientSecret: undefined, clientAssertion: assertion };
  }
  const clientSecret = params.get('client_secret') ?? undefined;
  const clientId = params.get('client_id') ?? undefined;
  return { method: clientSecret !== undefined ? 'client_secret_post' : 'none', clientId, clientSecret };
}

/** Detection only, for inspection records; never throws. */
export function guessClientAuthMethod(req: Request, params: URLSearchParams): ClientAuthMethod {
  try {
    return presentedCredentials(req, params).method;
  } catch {
    return 'client_secret_basic';
  }
}

/**
 * Authenticates the client at the token endpoint (RFC 6749 §2.3, §3.2.1).
 * Confidential clients must prove their secret by Basic or POST; public
 * clients (pre-registered without secret, DCR `none`, CIMD) send only client_id.
 */
export async function authenticateClient(req: Request, params: URLSearchParams, state: AuthServerState): Promise<{ client: ClientRecord; method: ClientAuthMethod }> {
  const presented = presentedCredentials(req, params);
  const challenge = presented.method === 'client_secret_basic' ? { 'WWW-Authenticate': 'Basic realm="mock-oauth"' } : undefined;
  if (!presented.clientId) throw new OAuthErrorResponse('invalid_client', 'no client_id', 401, challenge);
  const client = state.clients.get(presented.clientId);
  if (!client) throw new OAuthErrorResponse('invalid_client', 'unknown client', 401, challenge);
  if (client.jwks !== undefined) {
    if (presented.clientAssertion === undefined) throw new OAuthErrorResponse('invalid_client', 'this client authenticates with private_key_jwt', 401);
    await verifyClientAssertion(presented.clientAssertion, client, state);
  } else if (presented.method === 'private_key_jwt') {
    throw new OAuthErrorResponse('invalid_client', 'this client has no registered keys', 401);
  } else if (client.clientSecret !== undefined) {
    if (presented.method === 'none') throw new OAuthErrorResponse('invalid_client', 'client authentication required', 401, { 'WWW-Authenticate': 'Basic realm="mock-oauth"' });
    if (presented.clientSecret !== client.clientSecret) throw new OAuthErrorResponse('invalid_client', 'client authentication failed', 401, challenge);
  } else if (presented.method !== 'none') {
    throw new OAuthErrorResponse('invalid_client', 'public client presented a secret', 401, challenge);
  }
  return { client, method: presented.method };
}

/**
 * RFC 7523 section 3: `iss` and `sub` are the client_id, `aud` names this authorization server (its issuer or its
 * token endpoint), `exp` is required, and the signature verifies with one of the client's keys.
 */
async function verifyClientAssertion(assertion: string, client: ClientRecord, state: AuthServerState): Promise<void> {
  try {
    await jwtVerify(assertion, createLocalJWKSet({ keys: client.jwks as JWK[] }), {
      issuer: client.clientId,
      subject: client.clientId,
      audience: [state.issuer, `${state.issuer}/token`],
      requiredClaims: ['exp', 'jti'],
      currentDate: new Date(state.clock.now() * 1000),
    });
  } catch (error) {
    throw new OAuthErrorResponse('invalid_client', `the client assertion does not verify: ${(error as Error).message}`, 401);
  }
}
