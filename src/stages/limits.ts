/**
 * Stage 5, second half — rate limits. An allowed call with limits is forwarded only when every
 * limit of every rule that applied has room (DESIGN §4-5); the limiter Durable Objects wake only
 * here, after the request was proven well-formed and the policy allowed the call.
 */

import type { Env } from "../env.ts";
import type { JsonRpcId } from "../errors.ts";
import { toHex } from "../hex.ts";
import { type PlacedLimit, reserveAll } from "../limiter/client.ts";
import { type Limit, limitArgKey, type Policy } from "../policy/index.ts";
import type { Judgement } from "./decide.ts";
import { limiterDownAnswer, overLimitAnswer, type Refused } from "./enforce.ts";

export interface LimitContext {
  env: Env;
  policy: Policy;
  agent: string;
  /** The upstream session id, or null (stateless servers, protocol 2026-07-28). */
  session: string | null;
}

/** Hits to give back if the upstream answers a call with an error (`count: success`), by call id. */
export type Refundable = Map<JsonRpcId, PlacedLimit[]>;

export interface LimitOutcome {
  refundable: Refundable;
  /** For the decision log: calls refused here, by message index ("rate_limited" or "limiter_unavailable"). */
  refusedAs: Map<number, { action: string; retryAfterSeconds?: number }>;
}

const MAX_KEY_LENGTH = 256;

/** The limiter object that counts `limit` for this call (DESIGN §5 key names). */
export async function limitKey(limit: Limit, args: unknown, ctx: LimitContext): Promise<string> {
  const per = limit.per;
  if (per === "global") return "global";
  if (per === "agent" || (per === "session" && ctx.session === null)) return `agent:${ctx.agent}`;
  if (per === "session") return `session:${ctx.session}`;
  const key = `arg:${limit.ruleId}:${limitArgKey(args, per.arg)}`;
  if (key.length <= MAX_KEY_LENGTH) return key;
  // A long argument value is named by its digest, so object names stay short.
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return `arg:${limit.ruleId}:sha256:${toHex(new Uint8Array(digest))}`;
}

/**
 * Reserves the limits of every allowed call that has some; a call without room (or whose limiter
 * cannot be reached) joins `refused` with its answer. Returns the hits to refund on failure.
 */
export async function enforceLimits(
  judgement: Judgement,
  refused: Refused,
  ctx: LimitContext,
): Promise<LimitOutcome> {
  const refundable: Refundable = new Map();
  const refusedAs: LimitOutcome["refusedAs"] = new Map();
  const limited = judgement.calls.filter(
    (call) => call.decision.action === "allow" && call.decision.limits.length > 0,
  );
  await Promise.all(
    limited.map(async (call) => {
      const reservation = crypto.randomUUID();
      const placed: PlacedLimit[] = await Promise.all(
        call.decision.limits.map(async (limit) => ({
          key: await limitKey(limit, call.args, ctx),
          rule: limit.ruleId,
          max: limit.max,
          windowMs: limit.windowSeconds * 1000,
          reservation: `${reservation}:${limit.count}`,
        })),
      );
      const outcome = await reserveAll(ctx.env, placed);
      if (outcome.ok) {
        const refunds = placed.filter((limit) => limit.reservation.endsWith(":success"));
        if (refunds.length > 0 && call.id !== undefined) refundable.set(call.id, refunds);
        return;
      }
      if (outcome.kind === "unavailable") {
        console.error(
          JSON.stringify({ event: "limiter_unavailable", tool: call.tool, detail: outcome.detail }),
        );
        refusedAs.set(call.index, { action: "limiter_unavailable" });
        refused.set(call.index, call.id === undefined ? undefined : limiterDownAnswer(call, ctx.policy));
        return;
      }
      const retryAfterSeconds = Math.ceil(outcome.retryAfterMs / 1000);
      refusedAs.set(call.index, { action: "rate_limited", retryAfterSeconds });
      const limit =
        call.decision.limits.find((candidate) => candidate.ruleId === outcome.rule) ??
        call.decision.limits[0];
      refused.set(
        call.index,
        call.id === undefined
          ? undefined
          : overLimitAnswer(call, ctx.policy, limit as Limit, retryAfterSeconds),
      );
    }),
  );
  return { refundable, refusedAs };
}
