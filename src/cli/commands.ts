/** The `warden` subcommands. Each takes parsed options and an Io, and returns an exit code. */

import { createHash, randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { loadPolicy, type Policy } from "../policy/evaluate.ts";
import { describeCondition, explainCall } from "../policy/explain.ts";
import { compileDir } from "../policy/files.ts";
import { overrideVariable, parseLimitOverrides } from "../policy/overrides.ts";
import { formatPolicyError } from "../policy/types.ts";
import { listVisibility } from "../policy/visibility.ts";
import { formatConditions, formatLimit, table } from "./format.ts";

/** Where the CLI writes, and what it reads from its process. Tests pass their own. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** Compiles the directory and applies RATE_LIMIT_* from the environment; prints errors on failure. */
function load(dir: string, io: Io): Policy | undefined {
  const compiled = compileDir(resolve(io.cwd, dir), io.cwd);
  if (!compiled.ok) {
    for (const error of compiled.error) io.err(formatPolicyError(error));
    io.err(`policy check failed: ${compiled.error.length} error(s)`);
    return undefined;
  }
  const overridden = parseLimitOverrides(loadPolicy(compiled.value), io.env);
  if (!overridden.ok) {
    io.err(overridden.error);
    return undefined;
  }
  return overridden.value;
}

/** `warden check`: validates and compiles, then prints every rule, its limit and override variable. */
export function check(dir: string, io: Io): number {
  const policy = load(dir, io);
  if (policy === undefined) return 1;
  const rows = policy.rules.map((rule) => {
    const variable = rule.limit === null ? "-" : overrideVariable(rule.id);
    const fromEnv = rule.limit !== null && io.env[variable] !== undefined ? " (from env)" : "";
    return [
      rule.id,
      rule.pattern,
      rule.action,
      formatConditions(rule.conditions),
      rule.limit === null ? "-" : `${formatLimit(rule.limit)}${fromEnv}`,
      variable,
    ];
  });
  io.out(table(["ID", "PATTERN", "ACTION", "CONDITIONS", "LIMIT", "OVERRIDE"], rows));
  io.out("");
  io.out(
    `default: ${policy.defaultAction}   hide_denied: ${policy.hideDenied}   rules: ${policy.rules.length}`,
  );
  io.out(`policy hash: ${policy.shortHash} (sha256 ${policy.hash})`);
  return 0;
}

/** `warden explain`: how the policy judges one call, rule by rule, and the final decision. */
export function explain(
  tool: string,
  argsJson: string | undefined,
  agent: string,
  dir: string,
  io: Io,
): number {
  let args: unknown = {};
  if (argsJson !== undefined) {
    try {
      args = JSON.parse(argsJson);
    } catch (error) {
      io.err(`--args is not JSON (${(error as Error).message}); write e.g. --args '{"username":"admin"}'.`);
      return 2;
    }
  }
  const policy = load(dir, io);
  if (policy === undefined) return 1;
  const { rules, decision } = explainCall(policy, { tool, args, agent });
  io.out(`call: ${JSON.stringify(tool)} by agent ${JSON.stringify(agent)} with args ${JSON.stringify(args)}`);
  io.out(`policy: ${policy.shortHash}`);
  io.out("");
  if (rules.length === 0) io.out(`no rule's pattern matches ${JSON.stringify(tool)}.`);
  for (const trace of rules) {
    io.out(
      `${trace.rule.id} (${trace.rule.action}, pattern ${JSON.stringify(trace.rule.pattern)}, ${trace.rule.source})`,
    );
    if (trace.applies) {
      io.out(
        trace.rule.conditions.length === 0 ? "  applies (no conditions)" : "  applies: every condition holds",
      );
    } else if (trace.failed !== undefined) {
      const found = trace.failed.missing ? "missing" : JSON.stringify(trace.failed.actual);
      io.out(`  does not apply: ${describeCondition(trace.failed.condition)} is false (value: ${found})`);
    }
  }
  io.out("");
  const by = decision.ruleId === "default" ? "the default (no rule applies)" : `rule ${decision.ruleId}`;
  io.out(`decision: ${decision.action} by ${by}`);
  if (decision.reason !== undefined) io.out(`reason: ${decision.reason}`);
  io.out(
    `limits: ${decision.limits.length === 0 ? "none" : decision.limits.map((l) => `${l.ruleId} ${formatLimit(l)}`).join("; ")}`,
  );
  io.out(`tools/list: ${listVisibility(policy, tool, agent)} for this agent`);
  return 0;
}

/** `warden key`: a new random key for an agent, and the AGENT_KEYS entry holding its SHA-256. */
export function key(agent: string, io: Io): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (agent.trim() === "" || /[\u0000-\u001f\u007f]/.test(agent)) {
    io.err("the agent name is empty or has control characters; write e.g. warden key ops-bot.");
    return 2;
  }
  const secret = randomBytes(32).toString("base64url");
  const digest = createHash("sha256").update(secret, "utf8").digest("hex");
  io.out(
    `Key for agent ${JSON.stringify(agent)} (shown only now; the agent sends it as "Authorization: Bearer <key>"):`,
  );
  io.out(`  ${secret}`);
  io.out("");
  io.out("Add this entry to the AGENT_KEYS secret (a JSON object: agent name → SHA-256 hex of its key):");
  io.out(`  ${JSON.stringify({ [agent]: digest })}`);
  return 0;
}
