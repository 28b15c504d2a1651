/**
 * Profiling variant of src/limiter/limiter.ts (a proposed change): COUNT(*) instead of reading
 * every hit, and the alarm time cached in memory.
 *
 * The limiter Durable Object (DESIGN §5): one SQLite-backed object per limit key (`session:<id>`,
 * `agent:<name>`, `global`, `arg:<rule>:<value>`). Every rule that counts under this key keeps its
 * hits here. `reserve` checks every requested limit and records the hits in one synchronous step
 * — no `await` between the check and the write — so concurrent calls cannot overshoot: the object
 * runs one such step at a time. Counts live in SQLite, so they survive eviction and restarts; an
 * alarm deletes hits that have left every window. See docs/storage-schema.md.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../src/env.ts";

/** One limit to check in this object: rule id, max calls, window length, and the reservation its hit belongs to. */
export interface LimitRequest {
  rule: string;
  max: number;
  windowMs: number;
  reservation: string;
}

export type Reservation = { ok: true } | { ok: false; rule: string; retryAfterMs: number };

export class Limiter extends DurableObject<Env> {
  #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS hits (
      rule TEXT NOT NULL,
      at_ms INTEGER NOT NULL,
      expires_ms INTEGER NOT NULL,
      reservation TEXT NOT NULL
    )`);
    this.#sql.exec("CREATE INDEX IF NOT EXISTS hits_by_rule ON hits (rule, at_ms)");
    this.#sql.exec("CREATE INDEX IF NOT EXISTS hits_by_reservation ON hits (reservation)");
  }

  /**
   * Admits a call only if every limit has room, and then counts it against all of them, each hit
   * under its limit's `reservation` (so it can be given back). When refused, nothing is counted and
   * `retryAfterMs` is the wait until every limit has room. `now` may be injected by tests.
   */
  async reserve(limits: LimitRequest[], now: number = Date.now()): Promise<Reservation> {
    let refused: { rule: string; retryAfterMs: number } | undefined;
    for (const limit of limits) {
      // Count in SQLite instead of reading every hit of the window into JS: O(1) rows per call
      // however high `max` is. Only a refusal reads one more row: the hit whose expiry frees a slot.
      const from = now - limit.windowMs;
      const { n } = this.#sql
        .exec<{ n: number }>("SELECT COUNT(*) AS n FROM hits WHERE rule = ? AND at_ms > ?", limit.rule, from)
        .one();
      if (n < limit.max) continue;
      const freeing = this.#sql
        .exec<{ at_ms: number }>(
          "SELECT at_ms FROM hits WHERE rule = ? AND at_ms > ? ORDER BY at_ms LIMIT 1 OFFSET ?",
          limit.rule,
          from,
          n - limit.max,
        )
        .one().at_ms;
      const retryAfterMs = Math.max(1, freeing + limit.windowMs - now);
      if (refused === undefined || retryAfterMs > refused.retryAfterMs) {
        refused = { rule: limit.rule, retryAfterMs };
      }
    }
    if (refused) return { ok: false, ...refused };
    let latest = 0;
    for (const limit of limits) {
      const expires = now + limit.windowMs;
      latest = Math.max(latest, expires);
      this.#sql.exec(
        "INSERT INTO hits (rule, at_ms, expires_ms, reservation) VALUES (?, ?, ?, ?)",
        limit.rule,
        now,
        expires,
        limit.reservation,
      );
    }
    await this.#scheduleCleanup(latest);
    return { ok: true };
  }

  /** Gives back the hits of a reservation (a call refused elsewhere, or one that failed upstream). */
  async release(reservation: string): Promise<number> {
    return this.#sql.exec("DELETE FROM hits WHERE reservation = ?", reservation).rowsWritten;
  }

  /** How many hits of `rule` are in the window ending at `now` (for tests and diagnostics). */
  async count(rule: string, windowMs: number, now: number = Date.now()): Promise<number> {
    const row = this.#sql
      .exec<{ n: number }>(
        "SELECT COUNT(*) AS n FROM hits WHERE rule = ? AND at_ms > ?",
        rule,
        now - windowMs,
      )
      .one();
    return row.n;
  }

  /** Deletes the hits that have left every window, and wakes again for the next to expire. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.#sql.exec("DELETE FROM hits WHERE expires_ms <= ?", now);
    const next = this.#sql
      .exec<{ next: number | null }>("SELECT MIN(expires_ms) AS next FROM hits")
      .one().next;
    this.#alarmAt = next;
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }

  // The alarm time is remembered, so a call reads it from storage once per object lifetime, not every call.
  #alarmAt: number | null | undefined;

  async #scheduleCleanup(at: number): Promise<void> {
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
    if (this.#alarmAt === null || this.#alarmAt > at) {
      this.#alarmAt = at;
      await this.ctx.storage.setAlarm(at);
    }
  }
}
