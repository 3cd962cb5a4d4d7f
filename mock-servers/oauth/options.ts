import type { Logger } from 'pino';
import { z } from 'zod';

/** A client the server knows before any request arrives (the "pre-registered" path of MCP client registration). */
export interface PreRegisteredClient {
  clientId: string;
  /** Present: a confidential client (client_secret_basic or client_secret_post). Absent: a public client (auth method `none`). */
  clientSecret?: string;
  /** Present: a confidential client that authenticates with private_key_jwt (RFC 7523 section 2.2), by these public keys. */
  jwks?: JsonWebKey[];
  redirectUris: string[];
}

/** Which discovery documents exist. Turn some off to test a client's fallback order. */
export type MetadataEndpoint =
  /** RFC 8414 §3: `/.well-known/oauth-authorization-server{issuer path}`. */
  | 'oauth'
  /** OIDC discovery, path inserted like RFC 8414: `/.well-known/openid-configuration{issuer path}`. */
  | 'oidc'
  /** OIDC Discovery 1.0 §4: `{issuer}/.well-known/openid-configuration` (only differs from 'oidc' when the issuer has a path). */
  | 'oidc-appended';

export interface MockAuthServerOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default '127.0.0.1'. */
  host?: string;
  /** Path part of the issuer, e.g. '/tenant1' -> issuer `http://127.0.0.1:PORT/tenant1`. Default '' (issuer = origin). */
  issuerPath?: string;
  /** 'required' (default): `code_challenge` with method S256 is mandatory (OAuth 2.1 §4.1.1). 'optional': PKCE may be omitted; `plain` accepted. */
  pkce?: 'required' | 'optional';
  /** Advertise `code_challenge_methods_supported: ["S256"]` (default true). False omits the field, which MCP clients must refuse. */
  advertiseS256?: boolean;
  /** Advertise and honour Client ID Metadata Documents (`client_id_metadata_document_supported`). Default true. */
  cimd?: boolean;
  /** Offer RFC 7591 dynamic client registration (`registration_endpoint`). Default true. */
  dcr?: boolean;
  /** RFC 9207: advertise `authorization_response_iss_parameter_supported` and add `iss` to authorization responses. Default true. */
  issParameter?: boolean;
  /** Lifetime of access tokens, in seconds of the mock clock. Default 3600. */
  accessTokenTtlSeconds?: number;
  /** 'jwt' (default): RFC 9068 JWT access tokens signed with the JWKS key. 'opaque': random handles, readable by introspection only. */
  accessTokenFormat?: 'jwt' | 'opaque';
  /** Lifetime of refresh tokens, in seconds of the mock clock. Default: no expiry. */
  refreshTokenTtlSeconds?: number;
  /** Issue a new refresh token on every refresh (default true). False: the refresh response carries no refresh_token and the old one stays valid. */
  rotateRefreshTokens?: boolean;
  /** 'auto' (default): /authorize redirects straight back with a code for the current user. 'form': an HTML sign-in page. */
  approval?: 'auto' | 'form';
  preRegisteredClients?: PreRegisteredClient[];
  /** Shallow-merged over the metadata document last. A key set to `undefined` removes that field. For hostile-metadata tests. */
  metadataOverrides?: Record<string, unknown>;
  /** Advertised as `scopes_supported`; when set, requests for other scopes fail with invalid_scope. */
  scopesSupported?: string[];
  /** Which discovery URLs answer. Default: all of them. */
  metadataEndpoints?: MetadataEndpoint[];
  /**
   * Cross-app access, as the resource authorization server: issuers (IdPs) whose ID-JAGs the JWT bearer grant accepts
   * (their keys at `{issuer}/jwks`, the mock's own layout). Default: none, so the grant is refused.
   */
  trustedIdps?: string[];
  /**
   * Cross-app access, as the IdP: the `client_id` to put into an ID-JAG per audience (the requesting client's id at that
   * resource authorization server, draft-ietf-oauth-identity-assertion-authz-grant section 5). Default: the id of the
   * client that asked for it.
   */
  idJagClientIds?: Record<string, string>;
  /** Structured logger; default silent. Tokens, codes, verifiers and secrets are never logged. */
  logger?: Logger;
}

/** Options that `setOptions` can change while the server runs (not the listening address). */
export type MutableAuthServerOptions = Omit<MockAuthServerOptions, 'port' | 'host' | 'issuerPath' | 'logger'>;

export interface ResolvedAuthServerOptions {
  pkce: 'required' | 'optional';
  advertiseS256: boolean;
  cimd: boolean;
  dcr: boolean;
  issParameter: boolean;
  accessTokenTtlSeconds: number;
  accessTokenFormat: 'jwt' | 'opaque';
  refreshTokenTtlSeconds: number | undefined;
  rotateRefreshTokens: boolean;
  approval: 'auto' | 'form';
  preRegisteredClients: PreRegisteredClient[];
  metadataOverrides: Record<string, unknown>;
  scopesSupported: string[] | undefined;
  metadataEndpoints: MetadataEndpoint[];
  trustedIdps: string[];
  idJagClientIds: Record<string, string>;
}

export function resolveOptions(options: MutableAuthServerOptions): ResolvedAuthServerOptions {
  return {
    pkce: options.pkce ?? 'required',
    advertiseS256: options.advertiseS256 ?? true,
    cimd: options.cimd ?? true,
    dcr: options.dcr ?? true,
    issParameter: options.issParameter ?? true,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
    accessTokenFormat: options.accessTokenFormat ?? 'jwt',
    refreshTokenTtlSeconds: options.refreshTokenTtlSeconds,
    rotateRefreshTokens: options.rotateRefreshTokens ?? true,
    approval: options.approval ?? 'auto',
    preRegisteredClients: options.preRegisteredClients ?? [],
    metadataOverrides: options.metadataOverrides ?? {},
    scopesSupported: options.scopesSupported,
    metadataEndpoints: options.metadataEndpoints ?? ['oauth', 'oidc', 'oidc-appended'],
    trustedIdps: options.trustedIdps ?? [],
    idJagClientIds: options.idJagClientIds ?? {},
  };
}

/** Applies a runtime change: only keys present in `partial` change (so `{ dcr: false }` leaves everything else alone). */
export function mergeOptions(current: ResolvedAuthServerOptions, partial: MutableAuthServerOptions): ResolvedAuthServerOptions {
  const next: Record<string, unknown> = { ...current };
  const defaults: Record<string, unknown> = { ...resolveOptions({}) };
  for (const [key, value] of Object.entries(partial)) {
    // Setting an option to undefined restores its default.
    next[key] = value === undefined ? defaults[key] : value;
  }
  return next as unknown as ResolvedAuthServerOptions;
}

/** Normalises '/tenant1/' and 'tenant1' to '/tenant1'; '' and '/' to ''. */
export function normaliseIssuerPath(path: string | undefined): string {
  if (!path) return '';
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `/${trimmed}`;
}

/** Schema for options arriving from outside the process (the /_test/options endpoint). */
export const mutableOptionsSchema = z
  .object({
    pkce: z.enum(['required', 'optional']),
    advertiseS256: z.boolean(),
    cimd: z.boolean(),
    dcr: z.boolean(),
    issParameter: z.boolean(),
    accessTokenTtlSeconds: z.number().int().positive(),
    accessTokenFormat: z.enum(['jwt', 'opaque']),
    refreshTokenTtlSeconds: z.number().int().positive(),
    rotateRefreshTokens: z.boolean(),
    approval: z.enum(['auto', 'form']),
    preRegisteredClients: z.array(z.object({ clientId: z.string().min(1), clientSecret: z.string().optional(), jwks: z.array(z.looseObject({ kty: z.string() })).optional(), redirectUris: z.array(z.string()) })),
    metadataOverrides: z.record(z.string(), z.unknown()),
    scopesSupported: z.array(z.string()),
    metadataEndpoints: z.array(z.enum(['oauth', 'oidc', 'oidc-appended'])),
    trustedIdps: z.array(z.string()),
    idJagClientIds: z.record(z.string(), z.string()),
  })
  .partial()
  .strict();
