/**
 * The Worker's side of the limiter: turns a call's limits into Durable Object keys and reserves
 * a slot in every one of them — all or none.
 *
 * All or none across objects: each object checks and counts its own limits in one atomic step.
 * When a call has limits in several objects, they are reserved in parallel; if any refuses (or
 * cannot be reached), the reservations already made are released before the call is answered.
 * Between the reserve and the release another call may see the provisional hit and be refused:
 * the error is always towards counting too much for a moment, never towards letting more than
 * `max` through. If a release itself fails, that hit stays until it leaves its window.
 */
import type { Env } from "../env.ts";
import type { Limiter, LimitRequest } from "./limiter.ts";

/** One limit of one call, placed in the object that counts it. */
export interface PlacedLimit extends LimitRequest {
  /** The limiter object's name: `session:<id>`, `agent:<name>`, `global`, `arg:<rule>:<value>`. */
  key: string;
}

export type ReserveOutcome =
  | { ok: true; placed: readonly PlacedLimit[] }
  | { ok: false; kind: "over"; rule: string; retryAfterMs: number }
  | { ok: false; kind: "unavailable"; detail: string };

const stubs = (env: Env, key: string): DurableObjectStub<Limiter> =>
  env.LIMITER.get(env.LIMITER.idFromName(key));

/** Reserves every limit of one call, all or none. */
export async function reserveAll(
  env: Env,
  limits: readonly PlacedLimit[],
  now?: number,
): Promise<ReserveOutcome> {
  const byKey = new Map<string, LimitRequest[]>();
  for (const { key, ...limit } of limits) {
    const group = byKey.get(key);
    if (group) group.push(limit);
    else byKey.set(key, [limit]);
  }
  const keys = [...byKey.keys()];
  const settled = await Promise.allSettled(
    keys.map((key) => stubs(env, key).reserve(byKey.get(key) as LimitRequest[], now)),
  );
  let over: { rule: string; retryAfterMs: number } | undefined;
  let failure: string | undefined;
  for (const result of settled) {
    if (result.status === "rejected") failure ??= String(result.reason);
    else if (!result.value.ok && (over === undefined || result.value.retryAfterMs > over.retryAfterMs)) {
      over = { rule: result.value.rule, retryAfterMs: result.value.retryAfterMs };
    }
  }
  if (over === undefined && failure === undefined) return { ok: true, placed: limits };

  // Roll back: the call is refused, so it must consume nothing anywhere.
  const reserved = keys.filter((_key, index) => {
    const result = settled[index];
    return result?.status === "fulfilled" && result.value.ok;
  });
  await releaseAll(
    env,
    limits.filter((limit) => reserved.includes(limit.key)),
  );
  if (failure !== undefined) return { ok: false, kind: "unavailable", detail: failure };
  return { ok: false, kind: "over", ...(over as { rule: string; retryAfterMs: number }) };
}

/** Gives back the hits of the given limits (best effort: a failed release is logged, not thrown). */
export async function releaseAll(env: Env, limits: readonly PlacedLimit[]): Promise<void> {
  const byKey = new Map<string, Set<string>>();
  for (const limit of limits) {
    const reservations = byKey.get(limit.key) ?? new Set<string>();
    reservations.add(limit.reservation);
    byKey.set(limit.key, reservations);
  }
  await Promise.all(
    [...byKey].flatMap(([key, reservations]) =>
      [...reservations].map((reservation) =>
        stubs(env, key)
          .release(reservation)
          .catch((error: unknown) => {
            console.error(JSON.stringify({ event: "limiter_release_failed", key, error: String(error) }));
          }),
      ),
    ),
  );
}
