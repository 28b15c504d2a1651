/**
 * Stage 5 — enforce. Turns the decisions into effects: a refused call is answered here and never
 * forwarded; an allowed call is forwarded (after its rate limits, when it has any, found room).
 *
 * What the agent sees (DESIGN §4, MCP spec "tool execution errors"): a denial, an exhausted limit
 * or a pending approval is a tool *result* with `isError: true`, so the model can read why and
 * adapt; the decision rides along in `_meta`. A hidden tool answers exactly as an unknown tool
 * does: JSON-RPC -32602.
 */
import { JsonRpcCode, type JsonRpcId } from "../errors.ts";
import type { Decision, Limit, Policy } from "../policy/index.ts";
import type { JudgedCall, Judgement } from "./decide.ts";
import type { Message, ParsedBody } from "./parse.ts";

/** The `_meta` key under which the proxy explains its decision. */
export const DECISION_META_KEY = "mcp-warden/decision";

/** A JSON-RPC response the proxy makes itself, for a message it did not forward. */
export type ProxyAnswer = Record<string, unknown>;

/** The proxy's answers by message index; `undefined` for a refused notification (no answer). */
export type Refused = Map<number, ProxyAnswer | undefined>;

export interface Enforced {
  /** The messages to forward, in their original order. */
  forward: Message[];
  /** Answers for refused requests (refused notifications get none). */
  answers: ProxyAnswer[];
}

/** The calls the policy itself refuses (before any limit is consulted), with their answers. */
export function refuseByPolicy(judgement: Judgement, policy: Policy): Refused {
  const refused: Refused = new Map();
  for (const call of judgement.unreadable) {
    refused.set(
      call.index,
      call.id === undefined ? undefined : errorAnswer(call.id, JsonRpcCode.InvalidParams, call.problem),
    );
  }
  for (const call of judgement.calls) {
    if (call.decision.action === "allow") continue;
    refused.set(call.index, call.id === undefined ? undefined : refusalAnswer(call, policy));
  }
  return refused;
}

/** Splits the body into what is forwarded and what the proxy answers itself. */
export function split(parsed: ParsedBody, refused: Refused): Enforced {
  if (refused.size === 0) return { forward: parsed.messages, answers: [] };
  const forward = parsed.messages.filter((_message, index) => !refused.has(index));
  const answers = [...refused.values()].filter((answer): answer is ProxyAnswer => answer !== undefined);
  return { forward, answers };
}

/** The proxy's answer to a call the policy refused. */
export function refusalAnswer(call: JudgedCall, policy: Policy): ProxyAnswer {
  const { decision, tool } = call;
  const id = call.id ?? null;
  switch (decision.action) {
    case "hide":
      // Exactly what the MCP spec shows for an unknown tool: nothing tells the agent it exists.
      return errorAnswer(id, JsonRpcCode.InvalidParams, `Unknown tool: ${tool}`);
    case "deny":
      return toolError(id, denialText(tool, decision), meta(decision, policy));
    case "require_approval":
      return toolError(id, approvalText(tool, decision), meta(decision, policy));
    case "allow":
      throw new Error("refusalAnswer called for an allowed call");
  }
}

/** The answer to a call whose rate limit has no room. */
export function overLimitAnswer(
  call: JudgedCall,
  policy: Policy,
  limit: Limit,
  retryAfterSeconds: number,
): ProxyAnswer {
  const reason = policy.rules.find((rule) => rule.id === limit.ruleId)?.reason;
  const why = reason ? ` ${reason.replace(/\.$/, "")}.` : "";
  const text =
    `Rate limit reached for ${call.tool} (rule ${limit.ruleId}): at most ${limit.max} call` +
    `${limit.max === 1 ? "" : "s"} per ${formatWindow(limit.windowSeconds)} ${describePer(limit)}.${why} ` +
    `This call was not executed. Try again in ${retryAfterSeconds} s.`;
  return toolError(call.id ?? null, text, {
    ...meta(call.decision, policy),
    action: "rate_limited",
    ruleId: limit.ruleId,
    retryAfterSeconds,
  });
}

/** The answer to a call whose limiter could not be reached: refused, fail closed (DESIGN §5). */
export function limiterDownAnswer(call: JudgedCall, policy: Policy): ProxyAnswer {
  const text =
    `The rate limiter for ${call.tool} could not be reached, so this call was refused rather than run ` +
    "unmetered. It was not executed. Try again in a few seconds; if this persists, tell the operator.";
  return toolError(call.id ?? null, text, { ...meta(call.decision, policy), action: "limiter_unavailable" });
}

function describePer(limit: Limit): string {
  if (typeof limit.per === "object") return `for each value of ${limit.per.arg}`;
  if (limit.per === "global") return "across all agents";
  return `per ${limit.per}`;
}

function denialText(tool: string, decision: Decision): string {
  const reason = decision.reason ?? "The policy does not allow this tool.";
  return `Denied by policy: ${reason} (tool ${tool}, rule ${decision.ruleId}). This call was not executed; do not retry it unchanged.`;
}

function approvalText(tool: string, decision: Decision): string {
  const reason = decision.reason ? ` ${decision.reason}` : "";
  return (
    `Tool ${tool} requires a human's approval (rule ${decision.ruleId}).${reason} ` +
    "No approval flow is configured, so this call was not executed; ask a human operator to run it or to change the policy."
  );
}

function meta(decision: Decision, policy: Policy): Record<string, unknown> {
  return { action: decision.action, ruleId: decision.ruleId, policy: policy.shortHash };
}

function toolError(id: JsonRpcId, text: string, decision: Record<string, unknown>): ProxyAnswer {
  return {
    jsonrpc: "2.0",
    id,
    result: { isError: true, content: [{ type: "text", text }], _meta: { [DECISION_META_KEY]: decision } },
  };
}

function errorAnswer(id: JsonRpcId, code: number, message: string): ProxyAnswer {
  return { jsonrpc: "2.0", id, error: { code, message } };
}

/** A window for a sentence: 60 → "minute", 300 → "5 minutes", 90 → "90 seconds". */
export function formatWindow(seconds: number): string {
  const units: Array<[number, string]> = [
    [86_400, "day"],
    [3_600, "hour"],
    [60, "minute"],
    [1, "second"],
  ];
  for (const [size, name] of units) {
    if (seconds % size === 0) {
      const count = seconds / size;
      return count === 1 ? name : `${count} ${name}s`;
    }
  }
  return `${seconds} seconds`;
}
