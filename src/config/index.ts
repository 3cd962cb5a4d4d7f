export { loadConfigFile, parseConfig, ConfigError } from './load.js';
export { isRemote, type Config, type ServerConfig, type RemoteServerConfig, type LocalServerConfig, type OAuthConfig } from './schema.js';
