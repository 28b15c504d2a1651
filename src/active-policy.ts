/**
 * The policy in force: the compiled policy from the bundle (written by `npm run build` from
 * policies/*.yaml) with the `RATE_LIMIT_<ID>` overrides of the environment applied. Loaded once
 * per isolate; a malformed override fails closed (DESIGN §4) and names the variable.
 */

import type { Env } from "./env.ts";
import { POLICY } from "./generated/policy.ts";
import { loadPolicy, type Policy, parseLimitOverrides } from "./policy/index.ts";
import type { Result } from "./result.ts";

const compiled = loadPolicy(POLICY);
const cache = new WeakMap<object, Result<Policy, string>>();

/** The policy for this isolate's environment. */
export function activePolicy(env: Env): Result<Policy, string> {
  const cached = cache.get(env);
  if (cached) return cached;
  const result = parseLimitOverrides(compiled, env as unknown as Record<string, unknown>);
  cache.set(env, result);
  return result;
}
