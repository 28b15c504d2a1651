/** Test helpers: compile YAML text straight to a loaded Policy, or to its formatted errors. */

import { compilePolicy, type PolicyFile } from "../../src/policy/compile.ts";
import { loadPolicy, type Policy } from "../../src/policy/evaluate.ts";
import { type CompiledPolicyData, formatPolicyError } from "../../src/policy/types.ts";

/** Compiles policy files (or one text as policies/test.yaml); throws with the errors if any. */
export function compileOk(input: string | readonly PolicyFile[]): CompiledPolicyData {
  const files = typeof input === "string" ? [{ path: "policies/test.yaml", text: input }] : input;
  const result = compilePolicy(files);
  if (!result.ok) throw new Error(result.error.map(formatPolicyError).join("\n"));
  return result.value;
}

/** A loaded policy from YAML text. */
export function policyOf(input: string | readonly PolicyFile[]): Policy {
  return loadPolicy(compileOk(input));
}

/** The formatted errors ("file:line:col: message") of a policy that must not compile. */
export function errorsOf(input: string | readonly PolicyFile[]): string[] {
  const files = typeof input === "string" ? [{ path: "policies/test.yaml", text: input }] : input;
  const result = compilePolicy(files);
  if (result.ok) throw new Error("expected compile errors, but the policy compiled");
  return result.error.map(formatPolicyError);
}

/** A header for policy texts in tests. */
export const HEAD = "version: 1\ndefault: allow\ntools:\n";
