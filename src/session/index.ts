export { Session, type SessionOptions } from './legacy.js';
export { PrincipalView, type DownstreamFace, type RelayContext } from './view.js';
export { ModernFace } from './modern.js';
export { SERVER_INFO } from './handlers.js';
export { serveOverStdio } from './stdio.js';
export { toolCallParamsProblem } from './tool-call-params.js';
