/**
 * A clock the tests can move. Every time the authorization server reasons about
 * (token `iat`/`exp`, code expiry, introspection `active`) comes from here, so a
 * test can expire a token with `clock.advance(3600)` instead of sleeping.
 */
export interface MockClock {
  /** Current time in whole seconds since the epoch (the unit of JWT `iat`/`exp`). */
  now(): number;
  /** Moves time forward (or back, with a negative number) by `seconds`. Returns the new `now()`. */
  advance(seconds: number): number;
  /** Pins the clock to an absolute epoch time in seconds. Returns the new `now()`. */
  set(epochSeconds: number): number;
  /** Goes back to wall-clock time. */
  reset(): void;
}

export function createClock(): MockClock {
  let offsetSeconds = 0;
  const wallSeconds = (): number => Math.floor(Date.now() / 1000);
  const clock: MockClock = {
    now: () => wallSeconds() + offsetSeconds,
    advance(seconds) {
      if (!Number.isFinite(seconds)) throw new RangeError('clock.advance needs a finite number of seconds');
      offsetSeconds += Math.trunc(seconds);
      return clock.now();
    },
    set(epochSeconds) {
      if (!Number.isFinite(epochSeconds)) throw new RangeError('clock.set needs a finite epoch time in seconds');
      offsetSeconds = Math.trunc(epochSeconds) - wallSeconds();
      return clock.now();
    },
    reset() {
      offsetSeconds = 0;
    },
  };
  return clock;
}
