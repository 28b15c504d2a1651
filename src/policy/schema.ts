/**
 * The shape of a policy file (DESIGN §4), validated with zod. Objects are strict: an unknown key
 * is an error, because a misspelt key (`rate_limt`) would otherwise silently drop a limit. Each
 * schema's error text says what to write; compile.ts adds the field name and the file position.
 * Mappings with free keys (`tools`, `when`) are walked by hand, entry by entry. Checks that need more than the shape (durations, `per`, `when` keys, regexes, ids) are in rules.ts.
 */

import { z } from "zod";

/** Describes a YAML value in an error message: `"5 minutes"`, `-1`, `a list`, `a mapping`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "empty";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return JSON.stringify(value);
}

/** An error function for zod: "<value>; <what to write>". compile.ts prefixes the field path. */
function fix(advice: string) {
  return (issue: { readonly input?: unknown }) => `is ${describeValue(issue.input)}; ${advice}`;
}

export const ACTIONS = ["allow", "deny", "require_approval", "hide", "rate_limit"] as const;
export const OPS = [
  "eq",
  "neq",
  "in",
  "not_in",
  "lt",
  "lte",
  "gt",
  "gte",
  "regex",
  "contains",
  "exists",
] as const;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()], {
  error: fix("write a string, a number, true, false or null"),
});
const scalarList = z.array(scalar, { error: fix("write a list of values, e.g. [a, b]") });
const number = z.number({ error: fix("write a number") });

/** A YAML mapping, kept as-is. (z.record would silently drop a "__proto__" key.) */
function mapping(advice: string) {
  return z.custom<Record<string, unknown>>(
    (value) => typeof value === "object" && value !== null && !Array.isArray(value),
    { error: fix(advice) },
  );
}

/** The operators allowed on one `when` key; several on one key must all hold. */
export const OpsSchema = z.strictObject(
  {
    eq: scalar.optional(),
    neq: scalar.optional(),
    in: scalarList.optional(),
    not_in: scalarList.optional(),
    lt: number.optional(),
    lte: number.optional(),
    gt: number.optional(),
    gte: number.optional(),
    regex: z.string({ error: fix("write a regular expression as a string") }).optional(),
    contains: scalar.optional(),
    exists: z.boolean({ error: fix("write true or false") }).optional(),
  },
  { error: fix("write operators, e.g. { eq: admin } or { gt: 1000 }") },
);

/** A `rate_limit` block. `window` is checked by parseDuration, `per` by rules.ts. */
export const RateLimitSchema = z.strictObject(
  {
    max: z
      .number({ error: fix("write a positive whole number") })
      .int({ error: fix("write a whole number") })
      .positive({
        error: fix("write a positive whole number"),
      }),
    window: z.union([z.number(), z.string()], { error: fix('write seconds (300) or e.g. "5m"') }),
    per: z.string({ error: fix("write session, agent, global or args.<path>") }).optional(),
    count: z.enum(["all", "success"], { error: fix("write all or success") }).optional(),
  },
  { error: fix("write a mapping, e.g. { max: 10, window: 60 }") },
);

/** One rule under a tool key. */
export const RuleSchema = z.strictObject(
  {
    action: z.enum(ACTIONS, { error: fix(`write one of ${ACTIONS.join(", ")}`) }).optional(),
    rate_limit: RateLimitSchema.optional(),
    when: mapping("write conditions, e.g. { args.user: { eq: admin } }").optional(),
    reason: z.string({ error: fix("write the reason as text") }).optional(),
    id: z.string({ error: fix("write an id such as CREATE_USER") }).optional(),
  },
  { error: fix("write a rule (a mapping with action, rate_limit, when, reason, id) or a list of rules") },
);

/** One policy file. Tool values are validated one by one with RuleSchema, for precise errors. */
export const FileSchema = z.strictObject(
  {
    version: z.literal(1, { error: fix("write version: 1") }),
    default: z.enum(["allow", "deny"], { error: fix("write allow or deny") }).optional(),
    hide_denied: z.boolean({ error: fix("write true or false") }).optional(),
    tools: mapping("write a mapping from tool names to rules").optional(),
  },
  { error: fix("a policy file is a mapping with version, default, hide_denied and tools") },
);

/** The keys each kind of mapping may have, for "unknown key" messages and typo suggestions. */
export const KNOWN_KEYS = {
  file: Object.keys(FileSchema.shape),
  rule: Object.keys(RuleSchema.shape),
  rate_limit: Object.keys(RateLimitSchema.shape),
  ops: Object.keys(OpsSchema.shape),
} as const;

export type FileInput = z.output<typeof FileSchema>;
export type RuleInput = z.output<typeof RuleSchema>;
export type OpsInput = z.output<typeof OpsSchema>;
