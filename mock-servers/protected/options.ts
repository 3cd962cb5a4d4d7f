import type { Logger } from 'pino';
import type { MockAuthServer } from '../oauth/index.js';

/**
 * How the Protected Resource Metadata (RFC 9728) is found:
 * - 'header': at the path-aware well-known URL, and named by `resource_metadata` in every challenge (default);
 * - 'path-aware': at `/.well-known/oauth-protected-resource{path}` only, not named in challenges;
 * - 'root': at `/.well-known/oauth-protected-resource` only, not named in challenges;
 * - 'none': not served at all.
 * The last three make clients use the MCP spec's well-known fallbacks.
 */
export type PrmMode = 'header' | 'path-aware' | 'root' | 'none';

/** An authorization server reachable over HTTP, when it is not an in-process `MockAuthServer`. */
export interface RemoteAuthServer {
  issuer: string;
  introspectionUrl: string;
}

export interface ProtectedMcpServerOptions {
  authServer: MockAuthServer | RemoteAuthServer;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** MCP endpoint path; default '/mcp'. */
  path?: string;
  /** Server name in `initialize` and PRM `resource_name`; default 'protected-mcp'. */
  name?: string;
  /** Scopes every request needs. Named in 401 challenges. */
  requiredScopes?: string[];
  /** Extra scopes per tool; calling the tool without them is an HTTP 403 insufficient_scope. Each name also becomes a tool. */
  toolScopes?: Record<string, string[]>;
  prmMode?: PrmMode;
  /** Shallow-merged over the PRM document (a key set to undefined removes it). For hostile-metadata tests. */
  prmOverrides?: Record<string, unknown>;
  /** 'strict' (default): the token's `aud` must include the MCP URL (RFC 8707). 'none': any audience. */
  audience?: 'strict' | 'none';
  /**
   * What a 403 names in `scope`:
   * 'operation' (default): the scopes this request needs (RFC 6750 §3.1), i.e. required + tool scopes;
   * 'accumulated': those plus the token's current scopes (the 2025-11-25 spec's recommended approach).
   */
  scopeChallenge?: 'operation' | 'accumulated';
  logger?: Logger;
}
