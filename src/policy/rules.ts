/**
 * Turns one validated rule (RuleInput) into its compiled form, with the checks that need more than
 * the shape: durations, `per`, `when` keys and operators, regexes, explicit ids, and the rules that
 * tie fields together (rate_limit needs allow, hide may not test args). Build time only.
 */

import { parseDuration } from "./duration.ts";
import { describeValue, type OpsInput, OpsSchema, type RuleInput } from "./schema.ts";
import type { DataPath, Problem } from "./source.ts";
import type { Action, ConditionData, Limit, Op, Per, RuleData, Scalar } from "./types.ts";
import { zodProblems } from "./zod-errors.ts";

const SEGMENT = /^[^.]+$/;
const EXPLICIT_ID = /^[A-Z0-9_]+$/;
const NUMERIC_OPS: ReadonlySet<string> = new Set(["lt", "lte", "gt", "gte"]);

/** The id a rule gets when it has none: the tool key upper-cased, non-alphanumerics as `_`, `_2`… for later rules. */
export function defaultRuleId(toolKey: string, index: number): string {
  const base = toolKey.toUpperCase().replace(/[^A-Z0-9]/g, "_");
  return index === 0 ? base : `${base}_${index + 1}`;
}

/** Splits "args.a.b" into ["a", "b"]; null when the key is not `args.` followed by non-empty segments. */
export function parseArgsPath(key: string): string[] | null {
  if (!key.startsWith("args.")) return null;
  const segments = key.slice("args.".length).split(".");
  return segments.every((segment) => SEGMENT.test(segment)) ? segments : null;
}

/** Compiles one rule; `at` is its path in the file (for problems), `source` its "file:line:col". */
export function compileRule(
  input: RuleInput,
  pattern: string,
  id: string,
  at: DataPath,
  source: string,
): { rule: RuleData; problems: Problem[] } {
  const problems: Problem[] = [];
  const action: Action = input.action === undefined || input.action === "rate_limit" ? "allow" : input.action;
  if (input.action === "rate_limit" && input.rate_limit === undefined) {
    problems.push({
      path: [...at, "action"],
      at: "value",
      message:
        "action rate_limit needs a rate_limit block; add rate_limit: { max: 10, window: 60 } or write action: allow.",
    });
  }
  if (input.id !== undefined && !EXPLICIT_ID.test(input.id)) {
    problems.push({
      path: [...at, "id"],
      at: "value",
      message: `id ${describeValue(input.id)} may only use A-Z, 0-9 and _, because it names the RATE_LIMIT_<ID> variable; write ${defaultRuleId(input.id, 0) || "MY_RULE"}.`,
    });
  }
  let limit: Limit | null = null;
  if (input.rate_limit !== undefined) {
    if (action !== "allow") {
      problems.push({
        path: [...at, "rate_limit"],
        at: "key",
        message: `a rate_limit only counts calls that are allowed, and this rule's action is ${action}; remove the rate_limit or write action: allow.`,
      });
    }
    const window = parseDuration(input.rate_limit.window);
    if (!window.ok)
      problems.push({
        path: [...at, "rate_limit", "window"],
        at: "value",
        message: `rate_limit.window ${window.error}`,
      });
    const per = parsePer(input.rate_limit.per);
    if (per === null) {
      problems.push({
        path: [...at, "rate_limit", "per"],
        at: "value",
        message: `rate_limit.per ${describeValue(input.rate_limit.per)} is not a counter; write session, agent, global or args.<path> (e.g. args.BrokerId).`,
      });
    }
    if (window.ok && per !== null) {
      limit = {
        ruleId: id,
        max: input.rate_limit.max,
        windowSeconds: window.value,
        per,
        count: input.rate_limit.count ?? "all",
      };
    }
  }
  const conditions: ConditionData[] = [];
  for (const [key, raw] of Object.entries(input.when ?? {})) {
    const ops = OpsSchema.safeParse(raw);
    if (!ops.success) problems.push(...zodProblems(ops.error, at, ["when", key]));
    else conditions.push(...compileKey(key, ops.data, action, [...at, "when", key], problems));
  }
  const rule: RuleData = { id, pattern, action, reason: input.reason ?? null, conditions, limit, source };
  return { rule, problems };
}

function parsePer(per: string | undefined): Per | null {
  if (per === undefined || per === "session" || per === "agent" || per === "global") return per ?? "session";
  const path = parseArgsPath(per);
  return path === null ? null : { arg: path.join(".") };
}

function compileKey(
  key: string,
  ops: OpsInput,
  action: Action,
  at: DataPath,
  problems: Problem[],
): ConditionData[] {
  const path = key === "agent" ? null : parseArgsPath(key);
  if (key !== "agent" && path === null) {
    problems.push({
      path: at,
      at: "key",
      message: `when key "${key}" is neither agent nor args.<path>; write args.${key.replace(/^args\.?/, "") || "name"} to test an argument, or agent to test the caller.`,
    });
    return [];
  }
  if (path !== null && action === "hide") {
    problems.push({
      path: at,
      at: "key",
      message: `a hide rule may not test ${key}: hiding is decided when tools/list is answered, before any call and its arguments exist; test only agent here, or use action: deny for argument conditions.`,
    });
  }
  const entries = Object.entries(ops) as [Op, Scalar | readonly Scalar[] | boolean | number | string][];
  if (entries.length === 0) {
    problems.push({
      path: at,
      at: "key",
      message: `when key "${key}" has no operator; write e.g. { eq: value } or { exists: true }.`,
    });
  }
  const conditions: ConditionData[] = [];
  for (const [op, value] of entries) {
    const problem = checkOp(key, path === null, op, value);
    if (problem !== null) problems.push({ path: [...at, op], at: "value", message: problem });
    else conditions.push({ key, path, op, value });
  }
  return conditions;
}

function checkOp(key: string, isAgent: boolean, op: Op, value: Scalar | readonly Scalar[]): string | null {
  if (op === "regex") {
    try {
      new RegExp(value as string, "u");
    } catch (error) {
      return `when.${key}.regex ${describeValue(value)} is not a valid regular expression (${(error as Error).message}); fix the pattern (JavaScript syntax, unicode mode).`;
    }
  }
  if (!isAgent) return null;
  if (NUMERIC_OPS.has(op) || op === "exists") {
    return `when.agent.${op} can never be useful: the agent is always a name (text); use eq, neq, in, not_in, regex or contains.`;
  }
  const values = Array.isArray(value) ? value : [value];
  if (values.some((item) => typeof item !== "string")) {
    return `when.agent.${op} compares with ${describeValue(value)}, but agent names are text; quote the value(s).`;
  }
  return null;
}
