/**
 * Turns zod issues into positioned problems with sentences an operator can act on:
 * `rate_limit.max is -1; write a positive whole number.` or
 * `unknown key "rate_limt" (did you mean "rate_limit"?); a rule may have only action, rate_limit, …`.
 */

import type { z } from "zod";
import { KNOWN_KEYS } from "./schema.ts";
import type { DataPath, Problem } from "./source.ts";

/**
 * The problems in a zod error. `base` is where the rule (or file) sits in the file; `prefix` is
 * where the validated value sits inside it, and starts the field names in messages.
 */
export function zodProblems(error: z.ZodError, base: DataPath, prefix: DataPath = []): Problem[] {
  const problems: Problem[] = [];
  for (const issue of error.issues) {
    const own = issue.path.filter((segment) => typeof segment !== "symbol") as (string | number)[];
    const relative = [...prefix, ...own];
    const path = [...base, ...relative];
    if (issue.code === "unrecognized_keys") {
      const [kind, known] = mappingKind(base.length === 0, relative);
      for (const key of issue.keys) {
        const guess = closest(key, known);
        const hint = guess === undefined ? "" : ` (did you mean "${guess}"?)`;
        problems.push({
          path: [...path, key],
          at: "key",
          message: `unknown key "${key}"${hint}; ${kind} may have only ${known.join(", ")}.`,
        });
      }
      continue;
    }
    const label = relative.length > 0 ? relative.join(".") : base.length === 0 ? "the file" : "this rule";
    problems.push({
      path,
      at: "value",
      message: `${label} ${issue.message}${issue.message.endsWith(".") ? "" : "."}`,
    });
  }
  return problems;
}

function mappingKind(
  fileLevel: boolean,
  relative: readonly (string | number)[],
): [string, readonly string[]] {
  if (fileLevel && relative.length === 0) return ["a policy file", KNOWN_KEYS.file];
  if (relative.at(-1) === "rate_limit") return ["rate_limit", KNOWN_KEYS.rate_limit];
  if (relative.at(-2) === "when") return ["a condition", KNOWN_KEYS.ops];
  return ["a rule", KNOWN_KEYS.rule];
}

/** The known key within edit distance 2 of a misspelt one, if any. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitute));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
