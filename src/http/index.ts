export { createHttpApp, type HttpAppOptions, type Readiness } from './app.js';
export { SessionRegistry, sessionGrantTtlMs } from './sessions.js';
export { httpOrigin, listen } from './listen.js';
export { PortInUseError } from './errors.js';
export { ModernEndpoint, modernPrincipal } from './modern.js';
export { adminRoutes, type AdminOptions } from './admin.js';
export { isLoopbackHost } from './origin.js';
