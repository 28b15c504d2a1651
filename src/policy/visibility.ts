/**
 * Which tools a tools/list answer may show (DESIGN §2 stage 7, §4). One side-effect-free judgement,
 * made from the same rules as decide(), so the list and the calls never disagree.
 */

import { allHold } from "./conditions.ts";
import { candidatesFor, type Policy } from "./evaluate.ts";

/**
 * "hidden" when a hide rule applies to the tool for this agent (hide rules test only `agent`,
 * so this needs no arguments), or when `hide_denied` is on and every possible call is refused:
 * - a deny rule with no `args` conditions applies to this agent (deny beats everything but hide), or
 * - the default is deny and no allow/require_approval rule could apply to this agent.
 * When unsure (an allow rule has args conditions that might hold) the tool stays visible: showing
 * a tool whose calls are then denied is safe, hiding one that could be allowed breaks the agent.
 */
export function listVisibility(policy: Policy, tool: string, agent: string): "visible" | "hidden" {
  let mayPass = false;
  let alwaysDenied = false;
  for (const rule of candidatesFor(policy, tool).rules) {
    const agentConditions = rule.conditions.filter((condition) => condition.path === null);
    if (!allHold(agentConditions, undefined, agent)) continue;
    const always = !rule.hasArgsConditions;
    if (rule.action === "hide" && always) return "hidden";
    if (rule.action === "deny" && always) alwaysDenied = true;
    if (rule.action === "allow" || rule.action === "require_approval") mayPass = true;
  }
  if (!policy.hideDenied) return "visible";
  if (alwaysDenied) return "hidden";
  return policy.defaultAction === "deny" && !mayPass ? "hidden" : "visible";
}
