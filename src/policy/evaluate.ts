/**
 * The evaluator (pure: no I/O, no clock). DESIGN §4: the rules that apply are those whose pattern
 * matches the tool name (exact code points) and whose `when` holds; none → `default`; otherwise the
 * strictest wins, hide > deny > require_approval > allow. Among equally strict rules, a rule on the
 * exact tool name decides before a glob's (the more specific rule names the decision, e.g. in logs),
 * then the first in policy order.
 *
 * Speed: loadPolicy indexes exact names in a Map. The first call for a name gathers every rule that
 * can match it (its own and the globs') in policy order; when none of those has conditions, the
 * Decision is built once and frozen. The result is kept per name: for every exact name, and for
 * at most MEMO_SIZE other names (callers choose tool names, so that memo must stay bounded).
 */

import { allHold, type Condition, prepareCondition } from "./conditions.ts";
import { GLOB_FLAGS, isGlob } from "./glob.ts";
import type { Action, Call, CompiledPolicyData, Decision, Limit, RuleData } from "./types.ts";

const RANK: Readonly<Record<Action, number>> = { allow: 0, require_approval: 1, deny: 2, hide: 3 };
const NO_LIMITS: readonly Limit[] = Object.freeze([]);
const NO_IDS: readonly string[] = Object.freeze([]);
const MEMO_SIZE = 1024;

/** A rule ready to evaluate. */
export interface Rule {
  readonly index: number;
  readonly id: string;
  readonly pattern: string;
  readonly action: Action;
  readonly rank: number;
  /** rank × 2, plus 1 for an exact-name rule: the higher weight decides. */
  readonly weight: number;
  readonly reason: string | undefined;
  readonly conditions: readonly Condition[];
  readonly hasArgsConditions: boolean;
  readonly limit: Limit | null;
  readonly source: string;
}

/** The rules whose pattern matches one tool name, in policy order, and the Decision if fixed. */
export interface Candidates {
  readonly rules: readonly Rule[];
  readonly fixed: Decision | undefined;
}

/** A loaded policy: indexes and compiled RegExps built once, then shared by every call. */
export interface Policy {
  readonly data: CompiledPolicyData;
  readonly hash: string;
  readonly shortHash: string;
  readonly defaultAction: "allow" | "deny";
  readonly hideDenied: boolean;
  readonly rules: readonly Rule[];
  /** Each exact name's own rules. */
  readonly exact: ReadonlyMap<string, readonly Rule[]>;
  /** Candidates already gathered: every exact name asked for, and up to MEMO_SIZE other names. */
  readonly resolved: Map<string, Candidates>;
  /** Globs in policy order; `prefix` is the literal text before the first wildcard, tested first. */
  readonly globs: readonly {
    readonly prefix: string;
    readonly regex: RegExp;
    readonly rules: readonly Rule[];
  }[];
  readonly defaultDecision: Decision;
  readonly memo: Map<string, Candidates>;
}

/** Builds the runtime form of a compiled policy: Maps, RegExps, Sets and fixed Decisions, once. */
export function loadPolicy(data: CompiledPolicyData): Policy {
  const rules = data.rules.map(toRule);
  const pick = (indexes: readonly number[]) => indexes.map((index) => rules[index] as Rule);
  const globs = data.tools
    .filter((tool) => tool.glob !== null)
    .map((tool) => ({
      prefix: tool.pattern.slice(0, tool.pattern.search(/[*?]/)),
      regex: new RegExp(tool.glob as string, GLOB_FLAGS),
      rules: pick(tool.rules),
    }));
  const defaultDecision = freeze({
    action: data.default,
    ruleId: "default",
    reason:
      data.default === "deny"
        ? "No rule in the policy allows this tool, and the default is deny."
        : undefined,
    matched: NO_IDS,
    limits: NO_LIMITS,
  });
  const exact = new Map<string, readonly Rule[]>();
  for (const tool of data.tools) if (tool.glob === null) exact.set(tool.pattern, pick(tool.rules));
  return {
    data,
    hash: data.hash,
    shortHash: data.shortHash,
    defaultAction: data.default,
    hideDenied: data.hideDenied,
    rules,
    exact,
    resolved: new Map(),
    globs,
    defaultDecision,
    memo: new Map(),
  };
}

/** The rules whose pattern matches `tool`, whether or not their conditions hold. */
export function candidatesFor(policy: Policy, tool: string): Candidates {
  const known = policy.resolved.get(tool) ?? policy.memo.get(tool);
  if (known !== undefined) return known;
  const own = policy.exact.get(tool);
  const matching: Rule[] = own === undefined ? [] : [...own];
  for (const glob of policy.globs) {
    if (tool.startsWith(glob.prefix) && glob.regex.test(tool)) matching.push(...glob.rules);
  }
  if (own !== undefined) matching.sort((a, b) => a.index - b.index);
  const found = candidates(policy, matching);
  if (own !== undefined) {
    policy.resolved.set(tool, found);
  } else {
    // Bounded: tool names come from callers, so this memo must not grow without limit.
    if (policy.memo.size >= MEMO_SIZE) policy.memo.clear();
    policy.memo.set(tool, found);
  }
  return found;
}

/** Judges one call: which rules apply, which action wins, and the limits that must have room. */
export function decide(policy: Policy, call: Call): Decision {
  const { rules, fixed } = candidatesFor(policy, call.tool);
  if (fixed !== undefined) return fixed;
  let best: Rule | undefined;
  let matched: string[] | undefined;
  let limits: Limit[] | undefined;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i] as Rule;
    if (rule.conditions.length > 0 && !allHold(rule.conditions, call.args, call.agent)) continue;
    if (matched === undefined) matched = [rule.id];
    else matched.push(rule.id);
    if (rule.limit !== null) {
      if (limits === undefined) limits = [rule.limit];
      else limits.push(rule.limit);
    }
    if (best === undefined || rule.weight > best.weight) best = rule;
  }
  if (best === undefined || matched === undefined) return policy.defaultDecision;
  return decision(best, matched, limits ?? NO_LIMITS);
}

function decision(best: Rule, matched: readonly string[], limits: readonly Limit[]): Decision {
  const counts = best.rank <= RANK.require_approval;
  return {
    action: best.action,
    ruleId: best.id,
    reason: best.reason,
    matched,
    limits: counts ? limits : NO_LIMITS,
  };
}

function candidates(policy: Pick<Policy, "defaultDecision">, rules: readonly Rule[]): Candidates {
  if (rules.length === 0) return { rules, fixed: policy.defaultDecision };
  if (rules.some((rule) => rule.conditions.length > 0)) return { rules, fixed: undefined };
  // No conditions: every candidate applies to every call, so the Decision is the same each time.
  let best = rules[0] as Rule;
  for (const rule of rules) if (rule.weight > best.weight) best = rule;
  const limits = rules.flatMap((rule) => (rule.limit === null ? [] : [rule.limit]));
  return {
    rules,
    fixed: freeze(
      decision(
        best,
        rules.map((rule) => rule.id),
        limits,
      ),
    ),
  };
}

function toRule(data: RuleData, index: number): Rule {
  const conditions = data.conditions.map(prepareCondition);
  return {
    index,
    id: data.id,
    pattern: data.pattern,
    action: data.action,
    rank: RANK[data.action],
    weight: RANK[data.action] * 2 + (isGlob(data.pattern) ? 0 : 1),
    reason: data.reason ?? undefined,
    conditions,
    hasArgsConditions: conditions.some((condition) => condition.path !== null),
    limit: data.limit === null ? null : Object.freeze({ ...data.limit }),
    source: data.source,
  };
}

function freeze(decision: Decision): Decision {
  Object.freeze(decision.matched);
  Object.freeze(decision.limits);
  return Object.freeze(decision);
}
