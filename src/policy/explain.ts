/**
 * A trace of one decision for `warden explain`: each rule whose pattern matches the tool, whether
 * its `when` held and, if not, the first condition that failed. Pure; uses the same pieces as decide().
 */

import { type Condition, MISSING, resolvePath, testValue } from "./conditions.ts";
import { candidatesFor, decide, type Policy, type Rule } from "./evaluate.ts";
import type { Call, Decision } from "./types.ts";

/** One matching rule and what its conditions did. */
export interface RuleTrace {
  readonly rule: Rule;
  readonly applies: boolean;
  /** The first condition that did not hold, with the value found ("missing" when absent). */
  readonly failed?: { readonly condition: Condition; readonly actual: unknown; readonly missing: boolean };
}

/** Explains a call: the matching rules in policy order and the final Decision. */
export function explainCall(policy: Policy, call: Call): { rules: RuleTrace[]; decision: Decision } {
  const rules = candidatesFor(policy, call.tool).rules.map((rule): RuleTrace => {
    for (const condition of rule.conditions) {
      const actual = condition.path === null ? call.agent : resolvePath(call.args, condition.path);
      if (!testValue(condition, actual)) {
        return { rule, applies: false, failed: { condition, actual, missing: actual === MISSING } };
      }
    }
    return { rule, applies: true };
  });
  return { rules, decision: decide(policy, call) };
}

/** A short text for a condition, e.g. `args.amount gt 1000` or `agent in [ops, admin]`. */
export function describeCondition(condition: Condition): string {
  const value = Array.isArray(condition.value)
    ? `[${condition.value.map((item) => JSON.stringify(item)).join(", ")}]`
    : JSON.stringify(condition.value);
  return `${condition.key} ${condition.op} ${value}`;
}
