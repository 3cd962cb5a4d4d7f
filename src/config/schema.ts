import { z } from 'zod';
import { privateKeyJwtSchema, secretSchema, type SecretFiles } from './secret-sources.js';

/** Server names become tool prefixes and URI scheme prefixes, so they are kept to a safe alphabet. */
export const serverName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a server name: lowercase letters, digits and "-", starting with a letter, at most 32 characters');

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

const headers = z.record(z.string(), z.string());

/** OAuth sign-in per principal (the authenticate_<server> tool); every key optional: a 401 is detected without any. */
const oauthSchema = (read: SecretFiles) => z.strictObject({
  type: z.literal('oauth'),
  clientId: z.string().min(1).optional(),
  clientSecret: secretSchema(read).optional(),
  scopes: z.array(z.string().min(1)).optional(),
  /** Pins the authorization server instead of trusting the server's metadata. */
  issuer: httpUrl.optional(),
  /** For servers that publish no metadata: the endpoints outright. */
  authorizationEndpoint: httpUrl.optional(),
  tokenEndpoint: httpUrl.optional(),
  /** A client metadata document hosted elsewhere, used as client_id where CIMD is supported. */
  clientMetadataUrl: httpUrl.optional(),
  /** Get this server's token by cross-app access (top-level `crossAppAccess`) instead of a browser sign-in. */
  crossAppAccess: z.boolean().optional(),
});

/**
 * Static credentials: the server is reached with the same app-level credentials for every principal, and a refusal is
 * a configuration problem (the server becomes `failed`), never a sign-in.
 */
function staticAuthSchemas(read: SecretFiles) {
  const secret = secretSchema(read);
  const clientCredentials = z.strictObject({
    type: z.literal('client_credentials'),
    clientId: z.string().min(1),
    clientSecret: secret.optional(),
    /** RFC 7523 private_key_jwt instead of a secret. */
    privateKeyJwt: privateKeyJwtSchema(read).optional(),
    /** How the secret is presented (RFC 6749 §2.3.1); by default what the authorization server advertises, Basic first. */
    tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post']).optional(),
    /** The token endpoint outright; else discovered from `issuer`, else from the server's protected resource metadata. */
    tokenUrl: httpUrl.optional(),
    issuer: httpUrl.optional(),
    scopes: z.array(z.string().min(1)).optional(),
    /** RFC 8707 resource; by default the server's protected resource metadata `resource`, or its URL. */
    resource: httpUrl.optional(),
  }).superRefine((value, ctx) => {
    if ((value.clientSecret === undefined) === (value.privateKeyJwt === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of clientSecret and privateKeyJwt' });
    }
    if (value.tokenUrl !== undefined && value.issuer !== undefined) ctx.addIssue({ code: 'custom', message: 'give tokenUrl or issuer, not both' });
    if (value.privateKeyJwt && value.tokenEndpointAuthMethod) ctx.addIssue({ code: 'custom', path: ['tokenEndpointAuthMethod'], message: 'is for clientSecret; privateKeyJwt is its own method' });
  });
  return [
    z.strictObject({ type: z.literal('bearer'), token: secret }),
    // RFC 7617 §2: the user-id cannot contain a colon.
    z.strictObject({ type: z.literal('basic'), username: z.string().min(1).regex(/^[^:]*$/, 'a user name without ":" (RFC 7617)'), password: secret }),
    z.strictObject({ type: z.literal('headers'), headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'an HTTP header name'), secret).refine((h) => Object.keys(h).length > 0, 'at least one header') }),
    /** An API key in the URL's query: insecure (URLs end up in logs), but some APIs want nothing else. */
    z.strictObject({ type: z.literal('query'), param: z.string().min(1), value: secret }),
    clientCredentials,
  ] as const;
}

function authSchema(read: SecretFiles) {
  // `type` may be left out for OAuth sign-in, the original form of `auth`.
  return z.preprocess(
    (value) => (value !== null && typeof value === 'object' && !Array.isArray(value) && !('type' in value) ? { ...value, type: 'oauth' } : value),
    z.discriminatedUnion('type', [oauthSchema(read), ...staticAuthSchemas(read)], { error: 'expected oauth (the default), bearer, basic, headers, query or client_credentials' }),
  );
}

/** Glob patterns (picomatch) over the server's own names or URIs. */
const patterns = z.array(z.string().min(1)).min(1);

/** MCP 2025-11-25 server/tools#tool-annotations: hints a client may use; overrides are merged over the server's own. */
const toolAnnotations = z.strictObject({
  title: z.string().optional(),
  readOnlyHint: z.boolean().optional(),
  destructiveHint: z.boolean().optional(),
  idempotentHint: z.boolean().optional(),
  openWorldHint: z.boolean().optional(),
});

/**
 * Which of a server's tools are offered, and how. `allow` and `deny` are globs over the server's own tool names (deny
 * wins); `rename`, `describe` and `annotations` are keyed by the server's own name. A renamed tool still gets the
 * server prefix.
 */
const toolsFilter = z.strictObject({
  allow: patterns.optional(),
  deny: patterns.optional(),
  rename: z.record(z.string().min(1), z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'a tool name: letters, digits, ".", "_" and "-"')).optional(),
  describe: z.record(z.string().min(1), z.string()).optional(),
  annotations: z.record(z.string().min(1), toolAnnotations).optional(),
}).superRefine((value, ctx) => {
  const renamed = Object.values(value.rename ?? {});
  const twice = renamed.find((name, index) => renamed.indexOf(name) !== index);
  if (twice !== undefined) ctx.addIssue({ code: 'custom', path: ['rename'], message: `two tools renamed to "${twice}"` });
});

/** How often a server is checked (its shared connection: ping, or server/discover for a 2026-07-28 server). */
const healthCheck = z.strictObject({ intervalMs: z.number().int().min(100).max(3_600_000) });

const common = {
  timeoutMs: z.number().int().positive().max(3_600_000).default(30_000),
  /** false exposes the upstream's own names (useful for a single upstream). */
  prefix: z.boolean().default(true),
  tools: toolsFilter.optional(),
  /** Globs over the server's own prompt names. */
  prompts: z.strictObject({ allow: patterns }).optional(),
  /** Globs over the server's own resource URIs and template URIs. */
  resources: z.strictObject({ allow: patterns }).optional(),
  /**
   * Who sees the server behind the front door (src/visibility): everyone, the members of `teams` (and `owners`), or
   * only `owners` (subjects, the front door's userClaim). Without a front door every server is public.
   */
  visibility: z.enum(['public', 'team', 'private']).default('public'),
  teams: z.array(z.string().min(1)).min(1).optional(),
  owners: z.array(z.string().min(1)).min(1).optional(),
  /** Overrides the global healthCheck for this server. */
  healthCheck: healthCheck.optional(),
};

/** One entry of mcpServers: the config file and the admin API (src/http/admin.ts) check it alike. */
export function serverEntry(read: SecretFiles) {
  const remoteServer = z.strictObject({
    ...common,
    url: httpUrl,
    transport: z.enum(['streamable-http', 'sse']).optional(),
    headers: headers.optional(),
    auth: authSchema(read).optional(),
  });
  const localServer = z.strictObject({
    ...common,
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().optional(),
    /**
     * shared: one process serves every session (its state, such as a working directory or a login, is everyone's);
     * session: each session gets a process of its own, which ends with the session.
     */
    isolation: z.enum(['shared', 'session']).default('shared'),
  });
  return z.union([remoteServer, localServer]).superRefine(visibilityIssues);
}

/** `visibility` and the keys it reads must say one thing (issue 8: team needs teams, private needs owners). */
function visibilityIssues(server: { visibility: string; teams?: string[]; owners?: string[] }, ctx: z.RefinementCtx): void {
  const issue = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: [key], message });
  if (server.visibility === 'team' && !server.teams) issue('teams', 'visibility "team" needs the teams that may see the server');
  if (server.visibility === 'private' && !server.owners) issue('owners', 'visibility "private" needs the owners (subjects) who may see the server');
  if (server.visibility === 'private' && server.teams) issue('teams', 'a private server is seen by its owners only; use visibility "team" for teams');
  if (server.visibility === 'public' && (server.teams || server.owners)) issue(server.teams ? 'teams' : 'owners', 'has no effect on a public server; set visibility to "team" or "private"');
}

export const DEFAULT_HTTP_PORT = 8080;

/**
 * Signature algorithms a front door may accept: asymmetric ones only. With no shared secret configured, an HMAC
 * algorithm could only be "verified" with the public key, the classic algorithm-confusion attack (RFC 8725 section 3.1).
 */
export const INBOUND_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/** switchboard's own front door: every /mcp request needs a bearer token from this issuer (src/front-door). */
const inboundAuth = z.strictObject({
  issuer: httpUrl,
  /** The `aud` switchboard's tokens carry; default {publicUrl}/mcp, switchboard's own resource (RFC 8707). */
  audience: z.string().min(1).optional(),
  /** Default: `jwks_uri` from the issuer's metadata. */
  jwksUri: httpUrl.optional(),
  /** RFC 7662 introspection for IdPs that issue opaque tokens; the endpoint comes from the issuer's metadata. */
  introspection: z.strictObject({ clientId: z.string().min(1), clientSecret: z.string().min(1) }).optional(),
  requiredScopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'a scope token (RFC 6749 section 3.3)')).default([]),
  algorithms: z.array(z.enum(INBOUND_ALGORITHMS)).min(1).default(['RS256', 'ES256']),
  /** The claim that names the user (with the issuer: the principal). */
  userClaim: z.string().min(1).default('sub'),
  /** The claim listing the user's teams, matched against a server's `teams` (visibility: team). */
  teamsClaim: z.string().min(1).optional(),
});

/**
 * Cross-app access (the MCP enterprise-managed authorization extension): upstream tokens without a browser, from the
 * enterprise IdP that the upstream's authorization server trusts (src/auth/cross-app-access.ts).
 */
function crossAppAccessSchema(read: SecretFiles) {
  return z.strictObject({
  /** The IdP's issuer; default `inboundAuth.issuer` (the front door's IdP, whose token is the identity assertion). */
  idp: httpUrl.optional(),
  /** The IdP's token endpoint; default from its metadata (RFC 8414). */
  tokenEndpoint: httpUrl.optional(),
  /** switchboard's client at the IdP, for the RFC 8693 token exchange. */
  clientId: z.string().min(1),
  clientSecret: secretSchema(read).optional(),
  /** Without a front door: the one user's OpenID Connect ID token, issued to `clientId` (never with inboundAuth). */
  idToken: secretSchema(read).optional(),
  /** Per issuer: every server behind these authorization servers uses cross-app access (per server: `auth.crossAppAccess`). */
  issuers: z.array(httpUrl).default([]),
  });
}

export const replicaIdSchema = z.string().regex(/^[A-Za-z0-9-]{1,32}$/, 'letters, digits and dashes, at most 32');

/** The configuration's schema; `{ file }` secrets are read with `read` (relative to the configuration file). */
export function configSchema(read: SecretFiles) {
  return z.strictObject({
    mcpServers: z.record(serverName, serverEntry(read)),
    /** Where browsers reach switchboard; the OAuth redirect URI is {publicUrl}/oauth/callback. */
    publicUrl: httpUrl.optional(),
    store: z.strictObject({ url: z.string().regex(/^(memory:|rediss?:\/\/)/, 'memory: or a redis:// URL') }).default({ url: 'memory:' }),
    http: z.strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).optional(),
      /** Browser origins allowed to call /mcp, in addition to the server's own. */
      allowedOrigins: z.array(z.string()).default([]),
      bodyLimitBytes: z.number().int().positive().default(4 * 1024 * 1024),
      /**
       * Names this replica in the legacy session ids it creates (`<replicaId>.<random UUID>`), so a load balancer in
       * front of several replicas can send each session's requests back to the replica that holds it.
       */
      replicaId: replicaIdSchema.optional(),
    }).transform(({ port, ...http }) => ({
      ...http,
      port: port ?? DEFAULT_HTTP_PORT,
      /** false when the port is the default: in stdio mode a taken default port is then replaced by a free one. */
      portChosen: port !== undefined,
    })).prefault({}),
    sessions: z.strictObject({
      /** Idle downstream sessions are closed after this long. */
      idleTimeoutMs: z.number().int().positive().default(30 * 60_000),
      /** How long a session's first listing waits for upstreams that are still connecting before answering with what is there. */
      firstListWaitMs: z.number().int().min(0).max(120_000).default(3_000),
      /**
       * Resumable legacy streams (MCP 2025-11-25 basic/transports#resumability-and-redelivery): how long the events of
       * a session's SSE stream are kept after its last event, for a client that reconnects with Last-Event-ID.
       */
      eventRetentionMs: z.number().int().positive().max(24 * 3_600_000).default(5 * 60_000),
      /** The most events kept per stream; older ones are dropped first. */
      eventsPerStream: z.number().int().positive().max(100_000).default(1_000),
      /** The SSE `retry` field of each stream's priming event: how long a client waits before it reconnects. */
      sseRetryMs: z.number().int().min(0).max(600_000).default(1_000),
    }).prefault({}),
    naming: z.strictObject({
      /** Many clients cap tool names at 64 characters. */
      maxLength: z.number().int().min(16).max(128).default(64),
    }).prefault({}),
    security: z.strictObject({
      /** Hosts that discovery may reach although they resolve to private addresses. */
      allowPrivateHosts: z.array(z.string()).default([]),
      /** Accept http:// authorization servers that are not on loopback. */
      allowHttp: z.boolean().default(false),
    }).prefault({}),
    /** Capped exponential backoff between reconnect attempts to an upstream that is down. */
    reconnect: z.strictObject({
      initialDelayMs: z.number().int().positive().default(500),
      maxDelayMs: z.number().int().positive().default(30_000),
    }).prefault({}),
    inboundAuth: inboundAuth.optional(),
    crossAppAccess: crossAppAccessSchema(read).optional(),
    /**
     * Whom upstream tokens belong to. `user`: the signed-in user (per user and issuer), shared by their sessions and
     * modern requests; `session`: each legacy session its own. Default: `user` with a front door, else `session`.
     */
    tokens: z.strictObject({ scope: z.enum(['user', 'session']).optional() }).prefault({}),
    /** Default for every server: each one is checked this often. */
    healthCheck: healthCheck.prefault({ intervalMs: 30_000 }),
    /** Audit events (sign-ins, sign-outs, refresh failures, permission denials, server changes): one JSON line each, to this file or stdout. */
    audit: z.strictObject({ file: z.string().min(1).optional() }).prefault({}),
    log: z.strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
      pretty: z.boolean().default(false),
    }).prefault({}),
  }).superRefine((config, ctx) => {
    if (config.tokens.scope === 'user' && !config.inboundAuth) {
      ctx.addIssue({ code: 'custom', path: ['tokens', 'scope'], message: '"user" needs inboundAuth: without a front door switchboard does not know who the user is' });
    }
    const xaa = config.crossAppAccess;
    if (xaa && config.inboundAuth && xaa.idToken) {
      // One configured identity would be every user's: one person's upstream tokens served to another.
      ctx.addIssue({ code: 'custom', path: ['crossAppAccess', 'idToken'], message: 'not with inboundAuth: behind the front door each user\'s own token is the identity assertion' });
    }
    if (xaa && !config.inboundAuth && !xaa.idToken) {
      ctx.addIssue({ code: 'custom', path: ['crossAppAccess', 'idToken'], message: 'required without inboundAuth: switchboard needs an identity assertion of its user' });
    }
    if (xaa && !config.inboundAuth && !xaa.idp) {
      ctx.addIssue({ code: 'custom', path: ['crossAppAccess', 'idp'], message: 'required without inboundAuth (the default is the front door\'s issuer)' });
    }
    for (const [name, server] of Object.entries(config.mcpServers)) {
      if ('url' in server && server.auth?.type === 'oauth' && server.auth.crossAppAccess && !xaa) {
        ctx.addIssue({ code: 'custom', path: ['mcpServers', name, 'auth', 'crossAppAccess'], message: 'needs the top-level crossAppAccess (the IdP and switchboard\'s client there)' });
      }
      if (server.visibility === 'team' && config.inboundAuth && !config.inboundAuth.teamsClaim) {
        ctx.addIssue({ code: 'custom', path: ['mcpServers', name, 'visibility'], message: '"team" needs inboundAuth.teamsClaim: the claim that lists a user\'s teams' });
      }
    }
  }).transform(({ tokens, ...config }) => ({
    ...config,
    tokens: { scope: tokens.scope ?? (config.inboundAuth ? 'user' as const : 'session' as const) },
  }));
}

export type Config = z.infer<ReturnType<typeof configSchema>>;
export type InboundAuthConfig = z.infer<typeof inboundAuth>;
export type ServerConfig = Config['mcpServers'][string];
export type RemoteServerConfig = Extract<ServerConfig, { url: string }>;
export type LocalServerConfig = Exclude<ServerConfig, { url: string }>;
export type AuthConfig = NonNullable<RemoteServerConfig['auth']>;
export type OAuthConfig = Extract<AuthConfig, { type: 'oauth' }>;
/** Credentials the operator configured once for everyone: bearer, basic, headers, query or client_credentials. */
export type StaticAuthConfig = Exclude<AuthConfig, { type: 'oauth' }>;
export type ClientCredentialsConfig = Extract<AuthConfig, { type: 'client_credentials' }>;
export type ToolsFilterConfig = z.infer<typeof toolsFilter>;
export type CrossAppAccessConfig = NonNullable<Config['crossAppAccess']>;

export function isRemote(server: ServerConfig): server is RemoteServerConfig {
  return 'url' in server;
}

/** The OAuth sign-in settings of a server (also when it has no `auth` at all: a 401 then starts a sign-in). */
export function oauthSettings(server: RemoteServerConfig): OAuthConfig | undefined {
  return server.auth?.type === 'oauth' ? server.auth : undefined;
}

/** The static credentials of a server, when it has any. */
export function staticAuth(server: ServerConfig): StaticAuthConfig | undefined {
  return isRemote(server) && server.auth && server.auth.type !== 'oauth' ? server.auth : undefined;
}
