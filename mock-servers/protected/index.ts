/**
 * A protected MCP server for tests: Streamable HTTP, RFC 9728 metadata,
 * tokens checked by introspection at an authorization server. See README.md.
 */
export { startProtectedMcpServer, type ProtectedMcpServer, type ReceivedRequest } from './server.js';
export type { ProtectedMcpServerOptions, PrmMode, RemoteAuthServer } from './options.js';
export type { TokenClaims } from './introspection.js';
