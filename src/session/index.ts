export { Session, type SessionOptions } from './legacy.js';
export { PrincipalView, type DownstreamFace, type RelayContext } from './view.js';
export { ModernFace, type ModernFaceOptions } from './modern.js';
export { CallEndedError } from './errors.js';
export { SERVER_INFO } from './handlers.js';
export { serveOverStdio } from './stdio.js';
export { toolCallParamsProblem } from './tool-call-params.js';
