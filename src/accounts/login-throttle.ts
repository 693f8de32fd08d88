/**
 * The sign-in throttle contract (issue 10, items 1 and 2). `reserve` is check-and-count in one step: the attempt
 * takes its slot in every counter before the password is verified, so attempts in flight are counted and a burst
 * cannot pass a limit that was checked before the first one finished. An implementation over a shared store
 * (Redis) must keep that property, e.g. with one atomic script per reservation.
 */

/** One sign-in attempt: the account name as typed (compared case-insensitively) and the client's address. */
export interface LoginAttempt {
  account: string;
  ip: string;
}

export interface Reservation {
  /** False when a limit is used up; nothing was counted then. */
  readonly allowed: boolean;
  /** Seconds until an attempt may be allowed again (0 when allowed). */
  readonly retryAfter: number;
  /** This attempt used up a limit: should it fail, the next one waits (the audit log's `signin.lockout`). */
  readonly exhausted: boolean;
  /** The password was right: refund the slot, clear this address's failures, remember the address as known. */
  succeeded(): void;
  /** The password was never verified (the server was busy): refund the slot. */
  release(): void;
}

/** Whether an attempt would be refused now; nothing is counted. */
export interface Gate {
  readonly allowed: boolean;
  readonly retryAfter: number;
}

export interface LoginThrottle {
  /** Counts the attempt against every limit that applies, or refuses it without counting. */
  reserve(attempt: LoginAttempt): Promise<Reservation>;
  /**
   * For checks that cost next to nothing (an HMAC, a signature): is this attempt refused right now? Nothing is
   * counted, so a busy client's concurrent requests never take each other's slots; only failures are counted
   * afterwards, through `reserve`.
   */
  peek(attempt: LoginAttempt): Promise<Gate>;
  /** An attempt checked without a reservation succeeded: as Reservation.succeeded (clear, remember the address). */
  succeeded(attempt: LoginAttempt): void;
}

/**
 * Runs a check that costs next to nothing (a hash lookup) under a throttle: refused while the caller is limited,
 * and a failed check counted afterwards, so a success never waits for a slot. Throws `limited(retryAfter)`.
 */
export async function withFailureLimit<T>(
  throttle: LoginThrottle | undefined,
  attempt: LoginAttempt,
  check: () => Promise<T>,
  succeeded: (answer: T) => boolean,
  limited: (retryAfter: number) => Error,
): Promise<T> {
  if (!throttle) return check();
  const gate = await throttle.peek(attempt);
  if (!gate.allowed) throw limited(gate.retryAfter);
  const answer = await check();
  if (succeeded(answer)) {
    throttle.succeeded(attempt);
    return answer;
  }
  const reservation = await throttle.reserve(attempt);
  if (!reservation.allowed) throw limited(reservation.retryAfter);
  return answer;
}
