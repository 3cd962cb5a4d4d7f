export { loadConfigFile, parseConfig, parseServerEntry, parseReplicaId, ConfigError, type ParseOptions } from './load.js';
export { maskSecrets, keepMaskedSecrets, MASK } from './secrets.js';
export { watchFile } from './watch.js';
export { ServerSet, isEmptyChange, type AppliedChange, type RemovedServer, type ServerChange } from './server-set.js';
export {
  DEFAULT_HTTP_PORT,
  isRemote,
  oauthSettings,
  staticAuth,
  type Config,
  type ServerConfig,
  type RemoteServerConfig,
  type LocalServerConfig,
  type AuthConfig,
  type OAuthConfig,
  type StaticAuthConfig,
  type ClientCredentialsConfig,
  type ToolsFilterConfig,
  type InboundAuthConfig,
  type CrossAppAccessConfig,
  INBOUND_ALGORITHMS,
} from './schema.js';
export type { ClientAssertionKey, SigningAlgorithm } from './secret-sources.js';
