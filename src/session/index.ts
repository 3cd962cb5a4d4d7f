export { Session, type SessionOptions } from './legacy.js';
export { PrincipalView, type DownstreamFace, type RelayContext } from './view.js';
export { ModernFace } from './modern.js';
export { serveOverStdio } from './stdio.js';
