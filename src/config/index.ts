export { loadConfigFile, parseConfig, ConfigError } from './load.js';
export { DEFAULT_HTTP_PORT, isRemote, type Config, type ServerConfig, type RemoteServerConfig, type LocalServerConfig, type OAuthConfig, type InboundAuthConfig, INBOUND_ALGORITHMS } from './schema.js';
