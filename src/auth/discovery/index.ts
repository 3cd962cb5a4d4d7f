/**
 * MCP authorization discovery (MCP 2025-11-25, basic/authorization): from a 401 challenge to validated protected
 * resource and authorization server metadata, with every upstream response treated as hostile input.
 *
 *   const policy = fetchPolicyFor(server.url, { allowPrivateHosts: server.allowPrivateHosts });
 *   const prm = await discoverProtectedResource(server.url, parseWwwAuthenticate(res.headers.get('www-authenticate')), policy);
 *   const as = await discoverAuthorizationServer(prm?.authorizationServers[0] ?? new URL(server.url).origin, policy);
 *   // openid-client: new Configuration(as.raw, clientId, ...) with customFetch = createGuardedFetch(policy)
 *
 * Failures are the classes in ../errors.ts.
 */
export { parseWwwAuthenticate, type BearerChallenge } from './www-authenticate.js';
export { fetchPolicyFor, type FetchPolicy, type FetchPolicyOptions } from './policy.js';
export { createGuardedFetch } from './guarded-fetch.js';
export { discoverProtectedResource, type ProtectedResourceMetadata } from './protected-resource.js';
export { discoverAuthorizationServer, discoverLegacyAuthorizationServer, discoverTokenEndpoint, type AuthorizationServerMetadata, type TokenEndpointMetadata } from './authorization-server.js';
export { classifyAddress } from './address.js';
