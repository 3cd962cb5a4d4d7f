import { z } from 'zod';

/** Server names become tool prefixes and URI scheme prefixes, so they are kept to a safe alphabet. */
export const serverName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a server name: lowercase letters, digits and "-", starting with a letter, at most 32 characters');

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

const headers = z.record(z.string(), z.string());

const oauth = z.strictObject({
  type: z.literal('oauth').default('oauth'),
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).optional(),
  scopes: z.array(z.string().min(1)).optional(),
  /** Pins the authorization server instead of trusting the server's metadata. */
  issuer: httpUrl.optional(),
  /** For servers that publish no metadata: the endpoints outright. */
  authorizationEndpoint: httpUrl.optional(),
  tokenEndpoint: httpUrl.optional(),
  /** A client metadata document hosted elsewhere, used as client_id where CIMD is supported. */
  clientMetadataUrl: httpUrl.optional(),
});

const common = {
  timeoutMs: z.number().int().positive().max(3_600_000).default(30_000),
  /** false exposes the upstream's own names (useful for a single upstream). */
  prefix: z.boolean().default(true),
};

const remoteServer = z.strictObject({
  ...common,
  url: httpUrl,
  transport: z.enum(['streamable-http', 'sse']).optional(),
  headers: headers.optional(),
  auth: oauth.optional(),
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

/** One entry of mcpServers: the config file and the admin API (src/http/admin.ts) check it alike. */
export const serverEntry = z.union([remoteServer, localServer]);

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
  /** The claim listing the user's teams (for the team gateway; read, not used yet). */
  teamsClaim: z.string().min(1).optional(),
});

export const configSchema = z.strictObject({
  mcpServers: z.record(serverName, serverEntry),
  /** Where browsers reach switchboard; the OAuth redirect URI is {publicUrl}/oauth/callback. */
  publicUrl: httpUrl.optional(),
  store: z.strictObject({ url: z.string().regex(/^(memory:|rediss?:\/\/)/, 'memory: or a redis:// URL') }).default({ url: 'memory:' }),
  http: z.strictObject({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).optional(),
    /** Browser origins allowed to call /mcp, in addition to the server's own. */
    allowedOrigins: z.array(z.string()).default([]),
    bodyLimitBytes: z.number().int().positive().default(4 * 1024 * 1024),
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
  /**
   * Whom upstream tokens belong to. `user`: the signed-in user (per user and issuer), shared by their sessions and
   * modern requests; `session`: each legacy session its own. Default: `user` with a front door, else `session`.
   */
  tokens: z.strictObject({ scope: z.enum(['user', 'session']).optional() }).prefault({}),
  log: z.strictObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    pretty: z.boolean().default(false),
  }).prefault({}),
}).superRefine((config, ctx) => {
  if (config.tokens.scope === 'user' && !config.inboundAuth) {
    ctx.addIssue({ code: 'custom', path: ['tokens', 'scope'], message: '"user" needs inboundAuth: without a front door switchboard does not know who the user is' });
  }
}).transform(({ tokens, ...config }) => ({
  ...config,
  tokens: { scope: tokens.scope ?? (config.inboundAuth ? 'user' as const : 'session' as const) },
}));

export type Config = z.infer<typeof configSchema>;
export type InboundAuthConfig = z.infer<typeof inboundAuth>;
export type ServerConfig = Config['mcpServers'][string];
export type RemoteServerConfig = z.infer<typeof remoteServer>;
export type LocalServerConfig = z.infer<typeof localServer>;
export type OAuthConfig = z.infer<typeof oauth>;

export function isRemote(server: ServerConfig): server is RemoteServerConfig {
  return 'url' in server;
}
