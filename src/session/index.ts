export { Session, type SessionOptions } from './session.js';
