export { loadConfigFile, parseConfig, parseServerEntry, ConfigError } from './load.js';
export { maskSecrets, keepMaskedSecrets, MASK } from './secrets.js';
export { watchFile } from './watch.js';
export { ServerSet, isEmptyChange, type ServerChange } from './server-set.js';
export { DEFAULT_HTTP_PORT, isRemote, type Config, type ServerConfig, type RemoteServerConfig, type LocalServerConfig, type OAuthConfig, type InboundAuthConfig, INBOUND_ALGORITHMS } from './schema.js';
