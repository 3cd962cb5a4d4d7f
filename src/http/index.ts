export { createHttpApp, type HttpAppOptions, type Readiness } from './app.js';
export { SessionRegistry } from './sessions.js';
