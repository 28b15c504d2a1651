/**
 * The policy core as the Worker uses it: load the compiled policy, apply RATE_LIMIT_* overrides,
 * judge calls and tools/list entries. Pure — no I/O, no clock, no YAML (compile.ts is build-time only).
 */

export { limitArgKey } from "./conditions.ts";
export { decide, loadPolicy, type Policy } from "./evaluate.ts";
export { overrideVariable, parseLimitOverrides } from "./overrides.ts";
export type {
  Action,
  Call,
  CompiledPolicyData,
  Decision,
  Limit,
  Per,
  PolicyError,
  Result,
} from "./types.ts";
export { formatPolicyError } from "./types.ts";
export { listVisibility } from "./visibility.ts";
