/** The backend could not serve a request (Redis down, timed out, or refused the command). Retry later. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * Another holder kept the lock longer than the lock wait. A subclass of StoreUnavailableError because the caller's
 * remedy is the same (fail this attempt, retry later), while a caller who cares can still tell them apart.
 */
export class LockTimeoutError extends StoreUnavailableError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LockTimeoutError';
  }
}

/** The store options are unusable: unknown url scheme, malformed url, missing or weak secret. */
export class StoreConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreConfigError';
  }
}

/**
 * A continuation could not reach the call it belongs to: `gone`, no process serves the replica that held it (it
 * stopped or crashed); `silent`, that replica took the round and then stopped answering. Either way the call is lost
 * and the client must make it again.
 */
export class HeldCallLostError extends Error {
  constructor(readonly kind: 'gone' | 'silent', readonly replica: string) {
    super(kind === 'gone' ? `the replica ${replica} that held the call is gone` : `the replica ${replica} that held the call stopped answering`);
    this.name = 'HeldCallLostError';
  }
}
