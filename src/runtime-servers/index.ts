export { RuntimeServers, loadStoredServers, type ApplyServerChange } from './runtime-servers.js';
