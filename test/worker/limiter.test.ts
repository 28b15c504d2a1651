/**
 * The limiter Durable Object in workerd: exact counts under concurrency, all-or-none across
 * objects, sliding windows on an injected clock, durability across eviction, alarms, fail closed.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { activePolicy } from "../../src/active-policy.ts";
import type { Env } from "../../src/env.ts";
import { type PlacedLimit, reserveAll } from "../../src/limiter/client.ts";
import type { Limiter } from "../../src/limiter/limiter.ts";
import { decideAll } from "../../src/stages/decide.ts";
import type { Refused } from "../../src/stages/enforce.ts";
import { enforceLimits } from "../../src/stages/limits.ts";
import { validateShape } from "../../src/stages/parse.ts";

const stub = (key: string) => env.LIMITER.get(env.LIMITER.idFromName(key));
let counter = 0;
const unique = (prefix: string) => `${prefix}-${Date.now()}-${counter++}`;
const limit = (key: string, rule: string, max: number, windowMs: number): PlacedLimit => ({
  key,
  rule,
  max,
  windowMs,
  reservation: crypto.randomUUID(),
});

describe("limiter", () => {
  it("admits exactly max of 60 concurrent calls in one session", async () => {
    const key = unique("session:s");
    const results = await Promise.all(
      Array.from({ length: 60 }, () => reserveAll(env, [limit(key, "CREATE_USER", 10, 60_000)])),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(10);
    expect(await stub(key).count("CREATE_USER", 60_000)).toBe(10);
  });

  it("shares a global limit across sessions and keeps per-argument limits apart", async () => {
    const global = unique("global");
    const calls = ["s1", "s2", "s3", "s4"].map(() => reserveAll(env, [limit(global, "G", 3, 60_000)]));
    expect((await Promise.all(calls)).filter((result) => result.ok)).toHaveLength(3);

    const orders = unique("arg:CONFIG:orders");
    const billing = unique("arg:CONFIG:billing");
    for (let i = 0; i < 2; i++)
      expect((await reserveAll(env, [limit(orders, "CONFIG", 2, 60_000)])).ok).toBe(true);
    expect((await reserveAll(env, [limit(orders, "CONFIG", 2, 60_000)])).ok).toBe(false);
    expect((await reserveAll(env, [limit(billing, "CONFIG", 2, 60_000)])).ok).toBe(true);
  });

  it("slides: the 11th call passes exactly when the oldest leaves the window", async () => {
    const key = unique("session:clock");
    const t0 = 1_000_000;
    for (let i = 0; i < 10; i++) {
      expect(
        (await stub(key).reserve([{ rule: "R", max: 10, windowMs: 60_000, reservation: `r${i}` }], t0 + i))
          .ok,
      ).toBe(true);
    }
    const early = await stub(key).reserve(
      [{ rule: "R", max: 10, windowMs: 60_000, reservation: "early" }],
      t0 + 59_999,
    );
    expect(early).toEqual({ ok: false, rule: "R", retryAfterMs: 1 });
    const onTime = await stub(key).reserve(
      [{ rule: "R", max: 10, windowMs: 60_000, reservation: "on-time" }],
      t0 + 60_000,
    );
    expect(onTime).toEqual({ ok: true });
  });

  it("counts a call against all of its limits or none", async () => {
    const roomy = unique("agent:a");
    const full = unique("global");
    expect((await reserveAll(env, [limit(full, "G", 1, 60_000)])).ok).toBe(true);
    const refused = await reserveAll(env, [limit(roomy, "A", 5, 60_000), limit(full, "G", 1, 60_000)]);
    expect(refused).toMatchObject({ ok: false, kind: "over", rule: "G" });
    // The refused call consumed nothing in the object that had room.
    expect(await stub(roomy).count("A", 60_000)).toBe(0);
  });

  it("keeps counts across eviction", async () => {
    const key = unique("session:evict");
    for (let i = 0; i < 3; i++) expect((await reserveAll(env, [limit(key, "R", 3, 60_000)])).ok).toBe(true);
    await evictDurableObject(stub(key));
    expect((await reserveAll(env, [limit(key, "R", 3, 60_000)])).ok).toBe(false);
    expect(await stub(key).count("R", 60_000)).toBe(3);
  });

  it("deletes expired hits when its alarm runs", async () => {
    const key = unique("session:alarm");
    await stub(key).reserve([{ rule: "R", max: 5, windowMs: 1, reservation: "old" }], Date.now() - 10_000);
    expect(await runDurableObjectAlarm(stub(key))).toBe(true);
    const rows = await runInDurableObject(stub(key), (_instance: Limiter, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM hits").one(),
    );
    expect(rows.n).toBe(0);
  });

  it("gives a reservation back on release", async () => {
    const key = unique("session:release");
    const placed = limit(key, "R", 1, 60_000);
    expect((await reserveAll(env, [placed])).ok).toBe(true);
    expect(await stub(key).release(placed.reservation)).toBe(1);
    expect((await reserveAll(env, [limit(key, "R", 1, 60_000)])).ok).toBe(true);
  });

  it("fails closed, and rolls back the others, when one limiter throws", async () => {
    const healthy = unique("agent:healthy");
    const broken = {
      ...env,
      LIMITER: {
        idFromName: (name: string) => env.LIMITER.idFromName(name),
        get: (id: DurableObjectId) => {
          const real = env.LIMITER.get(id);
          return id.equals(env.LIMITER.idFromName("global-broken"))
            ? { reserve: () => Promise.reject(new Error("limiter down")), release: () => Promise.resolve(0) }
            : real;
        },
      },
    } as unknown as Env;
    const outcome = await reserveAll(broken, [
      limit(healthy, "A", 5, 60_000),
      limit("global-broken", "G", 5, 60_000),
    ]);
    expect(outcome).toMatchObject({ ok: false, kind: "unavailable" });
    expect(await stub(healthy).count("A", 60_000)).toBe(0);
  });

  it("answers a call whose limiter is down with an isError result and forwards nothing (fail closed)", async () => {
    const down = {
      ...env,
      LIMITER: {
        idFromName: (name: string) => env.LIMITER.idFromName(name),
        get: () => ({
          reserve: () => Promise.reject(new Error("unreachable")),
          release: () => Promise.resolve(0),
        }),
      },
    } as unknown as Env;
    const policy = activePolicy(down);
    if (!policy.ok) throw new Error(policy.error);
    const parsed = validateShape({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "create_user", arguments: { brokerId: "orders", username: "x" } },
    });
    if (!parsed.ok) throw new Error("bad fixture");
    const judgement = decideAll(parsed.value, policy.value, "alice");
    const refused: Refused = new Map();
    const outcome = await enforceLimits(judgement, refused, {
      env: down,
      policy: policy.value,
      agent: "alice",
      session: "s",
    });
    const answer = refused.get(0) as { result: { isError: boolean; content: Array<{ text: string }> } };
    expect(answer.result.isError).toBe(true);
    expect(answer.result.content[0]?.text).toContain("could not be reached");
    expect(outcome.refusedAs.get(0)).toEqual({ action: "limiter_unavailable" });
  });
});
