/** Durations and limit values as operators write them: `60`, `"30s"`, `"5m"`, `"1h"`, `"1d"`, `"10/5m"`. */

import type { Result } from "./types.ts";

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };
const DURATION = /^([1-9][0-9]*)([smhd]?)$/;
const POSITIVE_INT = /^[1-9][0-9]*$/;

/**
 * Reads a window: a positive whole number of seconds, or digits followed by s, m, h or d.
 * The error is a sentence ending in what to write instead.
 */
export function parseDuration(value: unknown): Result<number, string> {
  if (typeof value === "number") {
    if (Number.isSafeInteger(value) && value > 0) return { ok: true, value };
    return { ok: false, error: `${value} is not a duration; write a positive whole number of seconds.` };
  }
  const match = typeof value === "string" ? DURATION.exec(value) : null;
  const seconds = match ? Number(match[1]) * (UNIT_SECONDS[match[2] || "s"] ?? 1) : Number.NaN;
  if (!Number.isSafeInteger(seconds)) {
    return {
      ok: false,
      error: `${JSON.stringify(value)} is not a duration; write seconds (300) or a number with s, m, h or d ("5m").`,
    };
  }
  return { ok: true, value: seconds };
}

/** Reads a positive whole number written as digits (a limit's `max` from the environment). */
export function parseMax(text: string): Result<number, string> {
  const max = POSITIVE_INT.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(max)) {
    return { ok: false, error: `max ${JSON.stringify(text)} is not a positive whole number` };
  }
  return { ok: true, value: max };
}
