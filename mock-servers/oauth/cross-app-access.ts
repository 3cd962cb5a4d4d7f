/**
 * Cross-app access (the MCP enterprise-managed authorization extension; draft-ietf-oauth-identity-assertion-authz-grant):
 * the two grants, one for each role a mock server can play.
 *
 * - As the IdP: an RFC 8693 token exchange of an identity assertion (an ID token or an access token this server issued)
 *   for an Identity Assertion JWT Authorization Grant (ID-JAG) for another authorization server.
 * - As the resource authorization server: the RFC 7523 JWT bearer grant, which takes an ID-JAG from a trusted IdP and
 *   issues an access token for the MCP server the ID-JAG names.
 */
import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import type { RouteContext } from './context.js';
import { OAuthErrorResponse } from './errors.js';
import { isValidResourceIndicator, scopeSet, single } from './http.js';
import type { ClientRecord, IssuedAccessToken } from './state.js';

export const ID_JAG_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
/** draft-ietf-oauth-identity-assertion-authz-grant section 3.1: the JWT `typ` of an ID-JAG. */
const ID_JAG_TYP = 'oauth-id-jag+jwt';
const ID_JAG_TTL_SECONDS = 300;

export interface TokenExchangeResponse {
  issued_token_type: string;
  access_token: string;
  token_type: 'N_A';
  expires_in: number;
  scope?: string;
}

/**
 * RFC 8693 section 2.1, as the draft's section 4.3 profiles it: `requested_token_type` id-jag, `audience` the issuer of
 * the resource authorization server, optional `resource` and `scope`, and the user's identity assertion as
 * `subject_token`. An ID token must be this server's and name the requesting client in `aud` (section 4.3.1); an
 * access token must be one this server issued and that is still active.
 */
export async function tokenExchangeGrant(params: URLSearchParams, client: ClientRecord, ctx: RouteContext): Promise<TokenExchangeResponse> {
  const { state } = ctx;
  const requested = single(params, 'requested_token_type');
  if (requested !== ID_JAG_TOKEN_TYPE) throw new OAuthErrorResponse('invalid_request', `requested_token_type must be ${ID_JAG_TOKEN_TYPE}`);
  const audience = single(params, 'audience');
  if (!audience) throw new OAuthErrorResponse('invalid_request', 'audience (the issuer of the resource authorization server) missing');
  const resource = single(params, 'resource');
  if (resource !== undefined && !isValidResourceIndicator(resource)) throw new OAuthErrorResponse('invalid_target', 'resource must be an absolute URI without fragment');
  const subjectToken = single(params, 'subject_token');
  const subjectType = single(params, 'subject_token_type');
  if (!subjectToken || !subjectType) throw new OAuthErrorResponse('invalid_request', 'subject_token and subject_token_type are required');

  let sub: string;
  if (subjectType === ID_TOKEN_TYPE) {
    const verified = await state.signer.verify(subjectToken, state.clock.now()).catch(() => undefined);
    if (!verified || verified.payload.iss !== state.issuer || typeof verified.payload.sub !== 'string') throw new OAuthErrorResponse('invalid_grant', 'the ID token is not valid');
    const aud = [verified.payload.aud ?? []].flat();
    if (!aud.includes(client.clientId)) throw new OAuthErrorResponse('invalid_grant', 'the ID token was not issued to this client');
    sub = verified.payload.sub;
  } else if (subjectType === ACCESS_TOKEN_TYPE) {
    const record: IssuedAccessToken | undefined = state.accessTokens.get(subjectToken);
    if (!record || state.accessTokenStatus(record) !== 'active') throw new OAuthErrorResponse('invalid_grant', 'the subject token is not an active access token of this server');
    sub = record.sub;
  } else {
    throw new OAuthErrorResponse('invalid_request', `subject_token_type ${subjectType} is not supported`);
  }

  const scope = scopeSet(single(params, 'scope')).join(' ');
  const now = state.clock.now();
  const clientId = ctx.options().idJagClientIds[audience] ?? client.clientId;
  const jti = randomUUID();
  // Section 3.1: iss, sub, aud, client_id, jti, exp, iat required; resource and scope when requested.
  const grant = await state.signer.sign({
    iss: state.issuer, sub, aud: audience, client_id: clientId, jti, iat: now, exp: now + ID_JAG_TTL_SECONDS,
    ...(resource !== undefined ? { resource } : {}),
    ...(scope !== '' ? { scope } : {}),
  }, ID_JAG_TYP);
  state.idJags.push({ at: now, jti, sub, audience, clientId, requestedBy: client.clientId, subjectTokenType: subjectType, ...(resource !== undefined ? { resource } : {}), scope });
  ctx.log.info({ event: 'token.id_jag_issued', clientId: client.clientId, sub, jti }, 'ID-JAG issued');
  return { issued_token_type: ID_JAG_TOKEN_TYPE, access_token: grant, token_type: 'N_A', expires_in: ID_JAG_TTL_SECONDS, ...(scope !== '' ? { scope } : {}) };
}

const remoteKeys = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

/**
 * RFC 7523 section 2.1 with an ID-JAG as the assertion (the draft's section 4.4.1): typ `oauth-id-jag+jwt`, signed by
 * a trusted IdP, `aud` this issuer, `client_id` the authenticated client, not expired. The access token is for the
 * ID-JAG's `resource` (the MCP extension's section 5.1: audience-restricted to it), with the scope the ID-JAG grants.
 */
export async function jwtBearerGrant(params: URLSearchParams, client: ClientRecord, ctx: RouteContext): Promise<IssuedAccessToken> {
  const { state } = ctx;
  const assertion = single(params, 'assertion');
  if (!assertion) throw new OAuthErrorResponse('invalid_request', 'assertion missing');
  let header: ReturnType<typeof decodeProtectedHeader>;
  let unverified: ReturnType<typeof decodeJwt>;
  try {
    header = decodeProtectedHeader(assertion);
    unverified = decodeJwt(assertion);
  } catch {
    throw new OAuthErrorResponse('invalid_grant', 'the assertion is not a JWT');
  }
  if (header.typ !== ID_JAG_TYP) throw new OAuthErrorResponse('invalid_grant', `the assertion's typ must be ${ID_JAG_TYP}`);
  const idp = typeof unverified.iss === 'string' ? unverified.iss : '';
  if (!ctx.options().trustedIdps.includes(idp)) throw new OAuthErrorResponse('invalid_grant', 'the assertion comes from an IdP this server does not trust');
  let keys = remoteKeys.get(idp);
  if (!keys) {
    keys = createRemoteJWKSet(new URL(`${idp}/jwks`));
    remoteKeys.set(idp, keys);
  }
  let payload: ReturnType<typeof decodeJwt>;
  try {
    ({ payload } = await jwtVerify(assertion, keys, { issuer: idp, audience: state.issuer, currentDate: new Date(state.clock.now() * 1000), algorithms: ['ES256'], requiredClaims: ['exp', 'sub', 'jti'] }));
  } catch (error) {
    throw new OAuthErrorResponse('invalid_grant', `the assertion does not verify: ${error instanceof Error ? error.message : 'invalid'}`);
  }
  if (payload.client_id !== client.clientId) throw new OAuthErrorResponse('invalid_grant', 'the assertion was issued for another client');
  const resource = typeof payload.resource === 'string' ? payload.resource : undefined;
  const requested = params.getAll('resource');
  if (requested.some((r) => r !== resource)) throw new OAuthErrorResponse('invalid_target', 'resource differs from the one the assertion names');
  // The extension's section 7.2.1: the scopes issued are those requested that the ID-JAG grants.
  const granted = scopeSet(typeof payload.scope === 'string' ? payload.scope : undefined);
  const asked = scopeSet(single(params, 'scope'));
  const scope = (asked.length > 0 ? asked.filter((s) => granted.includes(s)) : granted).join(' ');
  const access = await state.issueAccessToken({ grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer', clientId: client.clientId, sub: payload.sub!, scope, resources: resource ? [resource] : [] });
  ctx.log.info({ event: 'token.issued', grantType: 'jwt-bearer', clientId: client.clientId, sub: payload.sub, jti: access.jti }, 'token issued');
  return access;
}
