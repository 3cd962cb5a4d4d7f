import type { Logger } from 'pino';
import type { FailureQueue } from './failures.js';
import type { AuthServerEndpoints } from './metadata.js';
import type { ResolvedAuthServerOptions } from './options.js';
import type { AuthServerState } from './state.js';

/** What every route needs; passed explicitly rather than held in module state, so several servers can run in one process. */
export interface RouteContext {
  state: AuthServerState;
  failures: FailureQueue;
  options: () => ResolvedAuthServerOptions;
  issuer: string;
  issuerPath: string;
  endpoints: AuthServerEndpoints;
  log: Logger;
}
