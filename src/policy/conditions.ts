/**
 * Conditions at request time (pure). Decisions written down in docs/policies.md:
 * - A missing argument makes every operator false except `exists: false`. A deny rule that tests
 *   `args.x` does not apply to a call without `x`; guard with `exists: false` where absence matters.
 * - A type mismatch (gt on a string, regex on a number) makes the condition false. eq/in compare
 *   with ===, without coercion; neq/not_in are their exact negations on a present value.
 * - Paths follow only own properties (Object.hasOwn), so `__proto__`, `constructor` or `toString`
 *   resolve only if the caller actually sent such a key; array items by canonical index ("0", "12").
 */

import type { ConditionData, Op, Scalar } from "./types.ts";

/** Returned by resolvePath when the path does not exist in the arguments. */
export const MISSING: unique symbol = Symbol("missing");

const INDEX = /^(?:0|[1-9][0-9]*)$/;

/** Walks `path` through `root` by own properties only; MISSING when any step does not exist. */
export function resolvePath(root: unknown, path: readonly string[]): unknown {
  let current = root;
  for (const segment of path) {
    if (typeof current !== "object" || current === null) return MISSING;
    if (Array.isArray(current)) {
      if (!INDEX.test(segment)) return MISSING;
      const index = Number(segment);
      if (index >= current.length || !Object.hasOwn(current, index)) return MISSING;
      current = current[index];
    } else {
      if (!Object.hasOwn(current, segment)) return MISSING;
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return current;
}

/** A condition ready to test: the compiled data plus, for regex and lists, the prepared matcher. */
export interface Condition {
  readonly key: string;
  readonly path: readonly string[] | null;
  readonly op: Op;
  readonly value: Scalar | readonly Scalar[];
  readonly regex: RegExp | null;
  readonly set: ReadonlySet<Scalar> | null;
}

/** Prepares a compiled condition: a RegExp for `regex` (unicode mode), a Set for `in`/`not_in`. */
export function prepareCondition(data: ConditionData): Condition {
  const regex = data.op === "regex" ? new RegExp(data.value as string, "u") : null;
  const set = Array.isArray(data.value) ? new Set<Scalar>(data.value) : null;
  return { key: data.key, path: data.path, op: data.op, value: data.value, regex, set };
}

/** Whether one condition holds for a call. `agent` is the principal's name. */
export function conditionHolds(condition: Condition, args: unknown, agent: string): boolean {
  const actual = condition.path === null ? agent : resolvePath(args, condition.path);
  return testValue(condition, actual);
}

/** Whether every condition holds (an empty list holds). */
export function allHold(conditions: readonly Condition[], args: unknown, agent: string): boolean {
  for (let i = 0; i < conditions.length; i++) {
    if (!conditionHolds(conditions[i] as Condition, args, agent)) return false;
  }
  return true;
}

/** Applies one operator to a resolved value (MISSING when the path does not exist). */
export function testValue(condition: Condition, actual: unknown): boolean {
  const expected = condition.value;
  if (condition.op === "exists") return (actual !== MISSING) === expected;
  if (actual === MISSING) return false;
  switch (condition.op) {
    case "eq":
      return actual === expected;
    case "neq":
      return actual !== expected;
    case "in":
      return (condition.set as ReadonlySet<unknown>).has(actual);
    case "not_in":
      return !(condition.set as ReadonlySet<unknown>).has(actual);
    case "lt":
      return typeof actual === "number" && actual < (expected as number);
    case "lte":
      return typeof actual === "number" && actual <= (expected as number);
    case "gt":
      return typeof actual === "number" && actual > (expected as number);
    case "gte":
      return typeof actual === "number" && actual >= (expected as number);
    case "regex":
      return typeof actual === "string" && (condition.regex as RegExp).test(actual);
    case "contains":
      if (typeof actual === "string") return typeof expected === "string" && actual.includes(expected);
      return Array.isArray(actual) && actual.includes(expected);
  }
}

/**
 * The key a `per: args.<path>` limit counts under: the argument's JSON text, or `(none)` when the
 * call lacks it (DESIGN §4). JSON text keeps the string "(none)" (`"(none)"`) apart from absence.
 */
export function limitArgKey(args: unknown, argPath: string): string {
  const value = resolvePath(args, argPath.split("."));
  if (value === MISSING) return "(none)";
  return JSON.stringify(value) ?? "(none)";
}
