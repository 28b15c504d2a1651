/**
 * The policy's data types: the compiled, JSON-serialisable form the build writes into the bundle
 * (CompiledPolicyData), and what the evaluator answers (Decision). See docs/policies.md.
 */

/** A tagged result: the policy core never throws for bad input, it returns one of these. */
export type Result<T, E> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

/** What happens to a call. Strictest first: hide > deny > require_approval > allow. */
export type Action = "allow" | "deny" | "require_approval" | "hide";

/** The condition operators of DESIGN §4. */
export type Op =
  | "eq"
  | "neq"
  | "in"
  | "not_in"
  | "lt"
  | "lte"
  | "gt"
  | "gte"
  | "regex"
  | "contains"
  | "exists";

/** A value a condition compares with. Objects are never compared (no deep equality). */
export type Scalar = string | number | boolean | null;

/** Which counter a rate limit uses. `{arg}` counts per value of `args.<arg>` (a dotted path). */
export type Per = "session" | "agent" | "global" | { readonly arg: string };

/** A rate limit of one rule: at most `max` calls in any `windowSeconds` span, per key. */
export interface Limit {
  readonly ruleId: string;
  readonly max: number;
  readonly windowSeconds: number;
  readonly per: Per;
  readonly count: "all" | "success";
}

/** One compiled condition. `path` is null for `agent`, else the segments after `args.`. */
export interface ConditionData {
  /** The key as written in `when` (e.g. "args.user.name" or "agent"), for messages. */
  readonly key: string;
  readonly path: readonly string[] | null;
  readonly op: Op;
  /** For `regex`: the pattern source (compiled once at load with the "u" flag). */
  readonly value: Scalar | readonly Scalar[];
}

/** One compiled rule, in policy order (files sorted by name, then keys, then list order). */
export interface RuleData {
  readonly id: string;
  /** The tool key it was written under: an exact name or a glob. */
  readonly pattern: string;
  readonly action: Action;
  readonly reason: string | null;
  readonly conditions: readonly ConditionData[];
  readonly limit: Limit | null;
  /** "file:line:col" of the rule, for `warden explain` and logs. Not part of the hash. */
  readonly source: string;
}

/** One tool key: an exact name (glob null) or a glob with its anchored RegExp source. */
export interface ToolEntryData {
  readonly pattern: string;
  readonly glob: string | null;
  /** Indexes into `rules`, ascending. */
  readonly rules: readonly number[];
}

/** The whole policy as the build writes it. Plain JSON: no YAML, no RegExp, no Map. */
export interface CompiledPolicyData {
  readonly version: 1;
  readonly default: "allow" | "deny";
  readonly hideDenied: boolean;
  readonly rules: readonly RuleData[];
  readonly tools: readonly ToolEntryData[];
  /** SHA-256 hex of the canonical JSON of everything above except rule sources. */
  readonly hash: string;
  /** The first 16 hex characters of `hash`, for logs and `_meta`. */
  readonly shortHash: string;
}

/** A call to judge. `agent` is the principal ("anonymous" without AGENT_KEYS). */
export interface Call {
  readonly tool: string;
  readonly args: unknown;
  readonly agent: string;
}

/** The verdict on one call. Decisions may be shared and frozen: never mutate one. */
export interface Decision {
  readonly action: Action;
  /** The deciding rule's id, or "default" when no rule applied. */
  readonly ruleId: string;
  readonly reason?: string;
  /** Ids of every rule that applied, in policy order. */
  readonly matched: readonly string[];
  /**
   * Every limit of every applying rule; each must have room. Empty unless the action is allow or
   * require_approval (an approved call still counts), since a refused call consumes nothing.
   */
  readonly limits: readonly Limit[];
}

/** A compile error at a place in a policy file; `message` says what to change. */
export interface PolicyError {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

/** Formats an error the way compilers do, so editors can jump to it: "file:line:col: message". */
export function formatPolicyError(error: PolicyError): string {
  return `${error.file}:${error.line}:${error.col}: ${error.message}`;
}
