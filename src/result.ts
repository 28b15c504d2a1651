/** The outcome of a check that can fail: plain data, no exceptions. */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };
