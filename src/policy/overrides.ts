/**
 * Rate limits from the environment (DESIGN §4, §6): `RATE_LIMIT_<ID>="<max>/<window>"` or
 * `"<max>"` replaces the limit of rule <ID>. Fails closed: a malformed value, or a variable naming
 * no rule that has a limit (a typo would otherwise leave the old limit in force unnoticed), is an error.
 */

import { parseDuration, parseMax } from "./duration.ts";
import { loadPolicy, type Policy } from "./evaluate.ts";
import type { Limit, Result, RuleData } from "./types.ts";

const PREFIX = "RATE_LIMIT_";

/** The environment variable that overrides a rule's limit. */
export function overrideVariable(ruleId: string): string {
  return `${PREFIX}${ruleId}`;
}

/**
 * Applies every RATE_LIMIT_* variable in `env` and returns a new Policy (the given one is not
 * changed), or one message listing every bad variable. The policy hash stays the compiled one.
 */
export function parseLimitOverrides(
  policy: Policy,
  env: Readonly<Record<string, unknown>>,
): Result<Policy, string> {
  const replaced = new Map<string, Limit>();
  const problems: string[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(PREFIX)) continue;
    const id = name.slice(PREFIX.length);
    const rule = policy.data.rules.find((candidate) => candidate.id === id);
    if (rule?.limit == null) {
      const withLimits = policy.data.rules.filter((candidate) => candidate.limit !== null).map((r) => r.id);
      const known =
        withLimits.length > 0 ? `rules with a limit: ${withLimits.join(", ")}` : "no rule has a limit";
      const what = rule === undefined ? `no rule has id ${id}` : `rule ${id} has no rate_limit to replace`;
      problems.push(`${name}: ${what} (${known}); fix the name or remove the variable.`);
      continue;
    }
    const limit = parseLimitValue(raw, rule.limit);
    if (limit.ok) replaced.set(id, limit.value);
    else
      problems.push(
        `${name}=${JSON.stringify(raw)}: ${limit.error}; write "<max>" or "<max>/<window>", e.g. "20/60s".`,
      );
  }
  if (problems.length > 0) return { ok: false, error: problems.join("\n") };
  if (replaced.size === 0) return { ok: true, value: policy };
  const rules = policy.data.rules.map((rule): RuleData => {
    const limit = replaced.get(rule.id);
    return limit === undefined ? rule : { ...rule, limit };
  });
  return { ok: true, value: loadPolicy({ ...policy.data, rules }) };
}

/** Reads "<max>" or "<max>/<window>" (a whole number from a JSON var is a max too). */
function parseLimitValue(raw: unknown, current: Limit): Result<Limit, string> {
  if (typeof raw === "number" && Number.isSafeInteger(raw) && raw > 0)
    return { ok: true, value: { ...current, max: raw } };
  if (typeof raw !== "string") return { ok: false, error: "the value is not text" };
  const text = raw.trim();
  const slash = text.indexOf("/");
  const max = parseMax(slash === -1 ? text : text.slice(0, slash));
  if (!max.ok) return max;
  if (slash === -1) return { ok: true, value: { ...current, max: max.value } };
  const window = parseDuration(text.slice(slash + 1));
  if (!window.ok) return { ok: false, error: `window ${window.error.replace(/;.*$/, "")}` };
  return { ok: true, value: { ...current, max: max.value, windowSeconds: window.value } };
}
