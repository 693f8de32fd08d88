/** Injected time source, in epoch seconds, so tests can freeze time. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = {
  now: () => Math.floor(Date.now() / 1000),
};
