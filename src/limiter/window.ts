/**
 * The sliding-window rule, pure (DESIGN §5): never more than `max` calls in any `windowMs` span.
 * A call at `now` is admitted when fewer than `max` earlier calls fall in (now - windowMs, now].
 * No clock inside: `now` is always passed in. The limiter object applies the same two steps to
 * rows it counts in SQLite; `admit` states the whole rule over a plain list, for tests and reading.
 */

export type Admission = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * With `inWindow` calls counted in the window, the index (oldest first) of the call whose leaving
 * makes room for one more — or `undefined` when there is room now.
 */
export function freeingIndex(inWindow: number, max: number): number | undefined {
  return inWindow < max ? undefined : inWindow - max;
}

/** Milliseconds until a call made at `freeingAt` leaves the window (at least 1). */
export function retryAfterMs(freeingAt: number, windowMs: number, now: number): number {
  return Math.max(1, freeingAt + windowMs - now);
}

/** Decides one call against the times (ms, ascending) of the calls already counted. */
export function admit(hits: readonly number[], max: number, windowMs: number, now: number): Admission {
  const from = now - windowMs;
  const inWindow = hits.filter((at) => at > from);
  const index = freeingIndex(inWindow.length, max);
  if (index === undefined) return { ok: true };
  return { ok: false, retryAfterMs: retryAfterMs(inWindow[index] as number, windowMs, now) };
}
