/**
 * Property tests: the compiled, indexed evaluator agrees with a plain reference written here
 * (iterate every rule, hand-written glob matcher, strictest wins), and refused calls are never
 * forwarded. Policies are written as JSON, which is YAML, so they go through the real compiler.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/policy/compile.ts";
import { decide, loadPolicy, type Policy } from "../../src/policy/evaluate.ts";
import type { Action, Decision, Limit } from "../../src/policy/types.ts";
import { listVisibility } from "../../src/policy/visibility.ts";

// ---- the model --------------------------------------------------------------------------------

type Value = string | number | boolean | null | Value[] | { [key: string]: Value };
interface ModelCondition {
  key: string;
  op: string;
  value: Value;
}
interface ModelRule {
  action: "allow" | "deny" | "require_approval" | "hide" | "rate_limit";
  conditions: ModelCondition[];
  limit?: { max: number; window: number; per: string };
  reason?: string;
}
interface ModelPolicy {
  default: "allow" | "deny";
  hideDenied: boolean;
  tools: [string, ModelRule[]][];
}

// Latin a, Cyrillic а, and regex metacharacters: look-alikes and escaping get exercised.
const CHARS = ["a", "\u0430", "b", ".", "+", "_"];
const name = fc
  .array(fc.constantFrom(...CHARS), { minLength: 1, maxLength: 4 })
  .map((chars) => chars.join(""));
const pattern = fc
  .array(fc.constantFrom(...CHARS, "*", "?"), { minLength: 1, maxLength: 4 })
  .map((c) => c.join(""));
const scalar = fc.constantFrom<Value>(0, 1, 5, -2.5, "a", "5", "ab", "", null, true, false);
const value: fc.Arbitrary<Value> = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.record({ z: scalar }) },
);
const ARG_KEYS = ["args.x", "args.y", "args.o.z", "args.l.0", "args.constructor"];

const condition = (argsAllowed: boolean): fc.Arbitrary<ModelCondition> =>
  fc.oneof(
    fc.record({
      key: fc.constant("agent"),
      op: fc.constantFrom("eq", "neq", "regex", "contains"),
      value: fc.constantFrom("ops", "a", "^o", ""),
    }),
    fc.record({
      key: fc.constant("agent"),
      op: fc.constantFrom("in", "not_in"),
      value: fc.subarray(["ops", "anonymous", "a"]),
    }),
    ...(argsAllowed
      ? [
          fc.record({
            key: fc.constantFrom(...ARG_KEYS),
            op: fc.constantFrom("eq", "neq", "contains"),
            value: scalar,
          }),
          fc.record({
            key: fc.constantFrom(...ARG_KEYS),
            op: fc.constantFrom("in", "not_in"),
            value: fc.array(scalar, { maxLength: 3 }),
          }),
          fc.record({
            key: fc.constantFrom(...ARG_KEYS),
            op: fc.constantFrom("lt", "lte", "gt", "gte"),
            value: fc.constantFrom(0, 1, 5, -2.5),
          }),
          fc.record({
            key: fc.constantFrom(...ARG_KEYS),
            op: fc.constant("regex"),
            value: fc.constantFrom("", "^a", "5$", "b"),
          }),
          fc.record({ key: fc.constantFrom(...ARG_KEYS), op: fc.constant("exists"), value: fc.boolean() }),
        ]
      : []),
  );

const rule: fc.Arbitrary<ModelRule> = fc
  .constantFrom<ModelRule["action"]>("allow", "deny", "require_approval", "hide", "rate_limit")
  .chain((action) =>
    fc.record({
      action: fc.constant(action),
      conditions: fc.uniqueArray(condition(action !== "hide"), {
        maxLength: 2,
        selector: (c) => `${c.key} ${c.op}`,
      }),
      limit:
        action === "rate_limit" || action === "allow"
          ? fc.option(
              fc.record({
                max: fc.integer({ min: 1, max: 9 }),
                window: fc.integer({ min: 1, max: 99 }),
                per: fc.constantFrom("session", "agent", "global", "args.x"),
              }),
              { nil: undefined },
            )
          : fc.constant(undefined),
      reason: fc.option(fc.constantFrom("r1", "r2"), { nil: undefined }),
    }),
  )
  .map((r) =>
    r.action === "rate_limit" && r.limit === undefined
      ? { ...r, limit: { max: 1, window: 1, per: "session" } }
      : r,
  );

const policyModel: fc.Arbitrary<ModelPolicy> = fc.record({
  default: fc.constantFrom("allow", "deny"),
  hideDenied: fc.boolean(),
  tools: fc.uniqueArray(fc.tuple(fc.oneof(name, pattern), fc.array(rule, { minLength: 1, maxLength: 3 })), {
    maxLength: 6,
    selector: ([key]) => key,
  }),
});

const argsModel = fc.record(
  { x: value, y: value, o: fc.oneof(fc.record({ z: value }), value), l: fc.array(value, { maxLength: 2 }) },
  { requiredKeys: [] },
);
const callModel = fc.record({ tool: name, args: argsModel, agent: fc.constantFrom("anonymous", "ops", "a") });

/** Renders the model as a policy file (JSON is YAML) with an explicit id per rule. */
function render(model: ModelPolicy): string {
  let n = 0;
  const tools: Record<string, unknown> = {};
  for (const [key, rules] of model.tools) {
    tools[key] = rules.map((r) => ({
      id: `R${n++}`,
      action: r.action,
      ...(r.limit ? { rate_limit: r.limit } : {}),
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.conditions.length ? { when: Object.fromEntries(groupConditions(r.conditions)) } : {}),
    }));
  }
  return JSON.stringify({ version: 1, default: model.default, hide_denied: model.hideDenied, tools });
}

function groupConditions(conditions: ModelCondition[]): [string, Record<string, Value>][] {
  const byKey = new Map<string, Record<string, Value>>();
  for (const c of conditions) byKey.set(c.key, { ...byKey.get(c.key), [c.op]: c.value });
  return [...byKey];
}

function load(model: ModelPolicy): Policy {
  const result = compilePolicy([{ path: "p.yaml", text: render(model) }]);
  if (!result.ok) throw new Error(result.error.map((e) => e.message).join("\n"));
  return loadPolicy(result.value);
}

// ---- the reference: obviously correct, slow ----------------------------------------------------

function globMatch(p: readonly string[], s: readonly string[]): boolean {
  if (p.length === 0) return s.length === 0;
  const [head, ...tail] = p;
  if (head === "*") return globMatch(tail, s) || (s.length > 0 && globMatch(p, s.slice(1)));
  if (s.length === 0) return false;
  return (head === "?" || head === s[0]) && globMatch(tail, s.slice(1));
}

const ABSENT = Symbol("absent");
function lookup(args: unknown, key: string): unknown {
  let current = args;
  for (const segment of key.split(".").slice(1)) {
    if (current === null || typeof current !== "object") return ABSENT;
    if (Array.isArray(current) && !/^(0|[1-9]\d*)$/.test(segment)) return ABSENT;
    if (!Object.hasOwn(current, segment)) return ABSENT;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function holds(c: ModelCondition, args: unknown, agent: string): boolean {
  const v = c.key === "agent" ? agent : lookup(args, c.key);
  if (c.op === "exists") return (v !== ABSENT) === c.value;
  if (v === ABSENT) return false;
  const list = c.value as Value[];
  switch (c.op) {
    case "eq":
      return v === c.value;
    case "neq":
      return v !== c.value;
    case "in":
      return list.some((item) => item === v);
    case "not_in":
      return !list.some((item) => item === v);
    case "lt":
      return typeof v === "number" && v < (c.value as number);
    case "lte":
      return typeof v === "number" && v <= (c.value as number);
    case "gt":
      return typeof v === "number" && v > (c.value as number);
    case "gte":
      return typeof v === "number" && v >= (c.value as number);
    case "regex":
      return typeof v === "string" && new RegExp(c.value as string, "u").test(v);
    case "contains":
      if (typeof v === "string") return typeof c.value === "string" && v.includes(c.value);
      return Array.isArray(v) && v.some((item) => item === c.value);
  }
  throw new Error(`unknown op ${c.op}`);
}

const STRICTNESS: Record<Action, number> = { allow: 0, require_approval: 1, deny: 2, hide: 3 };

function reference(model: ModelPolicy, call: { tool: string; args: unknown; agent: string }) {
  let n = 0;
  const applying: { id: string; action: Action; exact: boolean; rule: ModelRule }[] = [];
  for (const [key, rules] of model.tools) {
    for (const r of rules) {
      const id = `R${n++}`;
      if (!globMatch([...key], [...call.tool])) continue;
      if (!r.conditions.every((c) => holds(c, call.args, call.agent))) continue;
      const action = r.action === "rate_limit" ? "allow" : r.action;
      applying.push({ id, action, exact: !key.includes("*") && !key.includes("?"), rule: r });
    }
  }
  if (applying.length === 0)
    return { action: model.default, ruleId: "default", matched: [], limits: [] as Limit[] };
  let best = applying[0] as (typeof applying)[number];
  for (const a of applying) {
    const score = STRICTNESS[a.action] * 2 + (a.exact ? 1 : 0);
    if (score > STRICTNESS[best.action] * 2 + (best.exact ? 1 : 0)) best = a;
  }
  const counts = best.action === "allow" || best.action === "require_approval";
  const limits = applying.flatMap((a): Limit[] => {
    const l = a.rule.limit;
    if (!counts || l === undefined) return [];
    const per = l.per === "args.x" ? { arg: "x" } : (l.per as "session" | "agent" | "global");
    return [{ ruleId: a.id, max: l.max, windowSeconds: l.window, per, count: "all" }];
  });
  return {
    action: best.action,
    ruleId: best.id,
    reason: best.rule.reason,
    matched: applying.map((a) => a.id),
    limits,
  };
}

const forwarded = (decision: Decision) => decision.action === "allow";

// ---- properties -------------------------------------------------------------------------------

describe("properties", () => {
  it("the compiled evaluator agrees with the reference", () => {
    fc.assert(
      fc.property(policyModel, fc.array(callModel, { minLength: 1, maxLength: 8 }), (model, calls) => {
        const policy = load(model);
        for (const call of calls) {
          // Names from the policy's own keys hit exact rules and globs far more often.
          for (const tool of [call.tool, model.tools[0]?.[0] ?? call.tool]) {
            const c = { ...call, tool };
            const got = decide(policy, c);
            const want = reference(model, c);
            expect({ ...got, reason: got.reason }).toEqual({
              ...want,
              reason: want.ruleId === "default" ? got.reason : want.reason,
            });
          }
        }
      }),
      { numRuns: 10_000 },
    );
  }, 60_000);

  it("a call judged deny or hide is never forwarded, and a hidden tool is refused whatever its arguments", () => {
    fc.assert(
      fc.property(policyModel, fc.array(callModel, { minLength: 1, maxLength: 8 }), (model, calls) => {
        const policy = load(model);
        for (const call of calls) {
          const want = reference(model, call);
          const got = decide(policy, call);
          if (want.action === "deny" || want.action === "hide") expect(forwarded(got)).toBe(false);
          if (listVisibility(policy, call.tool, call.agent) === "hidden") {
            expect(["deny", "hide"]).toContain(got.action);
          }
        }
      }),
      { numRuns: 10_000 },
    );
  }, 60_000);
});
