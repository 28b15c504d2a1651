/**
 * The sliding-window rule, pure (DESIGN §5): never more than `max` calls in any `windowMs` span.
 * A call at `now` is admitted when fewer than `max` earlier calls fall in (now - windowMs, now].
 * No clock inside: `now` is always passed in.
 */

export type Admission = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * Decides one call against the times (ms, ascending) of the calls already counted.
 * When refused, `retryAfterMs` is how long until enough of them leave the window for one more.
 */
export function admit(hits: readonly number[], max: number, windowMs: number, now: number): Admission {
  const from = now - windowMs;
  let first = 0;
  while (first < hits.length && (hits[first] as number) <= from) first++;
  const inWindow = hits.length - first;
  if (inWindow < max) return { ok: true };
  // The call fits once all but max-1 of the counted calls have left: the (inWindow-max)-th oldest.
  const freeing = hits[first + inWindow - max] as number;
  return { ok: false, retryAfterMs: Math.max(1, freeing + windowMs - now) };
}
