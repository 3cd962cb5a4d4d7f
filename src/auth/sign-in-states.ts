import { NO_AUDIT, type AuditRecorder } from '../audit/index.js';
import type { Logger } from '../log/index.js';
import { principalKey, type Principal } from '../principal/index.js';
import { SignInState } from './sign-in-state.js';
import type { TokenService } from './token-service.js';

interface Held {
  state: SignInState;
  users: number;
}

/**
 * One SignInState per principal, however many views it has (a user's legacy sessions and modern requests): what a
 * server needs, its issuer and the step-ups are the principal's, so every view of it sees the same sign-in state, and
 * the upstream connection they share uses the same credentials.
 */
export class SignInStates {
  private readonly held = new Map<string, Held>();

  constructor(private readonly tokens: TokenService, private readonly logger: Logger, private readonly audit: AuditRecorder = NO_AUDIT) {}

  acquire(principal: Principal): SignInState {
    const key = principalKey(principal);
    let held = this.held.get(key);
    if (!held) {
      held = { state: new SignInState(this.tokens, principal, this.logger.child({ principal: principal.kind }), this.audit), users: 0 };
      this.held.set(key, held);
    }
    held.users++;
    return held.state;
  }

  /** A view is done with its principal's state; the last one closes it (see SignInState.close for `forgetTokens`). */
  async release(state: SignInState, options: { forgetTokens: boolean }): Promise<void> {
    const key = principalKey(state.principal);
    const held = this.held.get(key);
    if (!held || held.state !== state) return;
    if (--held.users > 0) return;
    this.held.delete(key);
    await state.close(options);
  }
}
