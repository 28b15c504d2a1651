/**
 * Stage 7 — inspect: the response side, only where needed. A `tools/list` result loses the tools
 * the policy hides from this agent (JSON and SSE alike), using the same judgement as the calls
 * (`listVisibility`), so the list and the calls never disagree. Everything else is untouched.
 */

import { refusalResponse } from "../errors.ts";
import { MAX_INSPECTED_BYTES, readBounded } from "../http/bounded.ts";
import { isEventStream } from "../http/sse.ts";
import { rewriteEvents } from "../http/sse-events.ts";
import type { Policy } from "../policy/index.ts";
import { visibleInList } from "./decide.ts";
import type { Message } from "./parse.ts";

const hidingPolicies = new WeakMap<Policy, boolean>();

/** Whether the policy can hide anything at all (when not, tools/list is never touched). */
export function policyHides(policy: Policy): boolean {
  let hides = hidingPolicies.get(policy);
  if (hides === undefined) {
    hides = policy.hideDenied || policy.rules.some((rule) => rule.action === "hide");
    hidingPolicies.set(policy, hides);
  }
  return hides;
}

/** The ids of the forwarded `tools/list` requests whose answers must be filtered. */
export function toolsListIds(messages: readonly Message[]): Set<string | number> {
  const ids = new Set<string | number>();
  for (const message of messages) {
    if (message.method !== "tools/list") continue;
    if (typeof message.id === "string" || typeof message.id === "number") ids.add(message.id);
  }
  return ids;
}

/**
 * Which responses to filter: those answering the given tools/list request ids, or — on the GET
 * stream, where an upstream may replay earlier responses after a `Last-Event-ID` resumption —
 * any response that carries a tool list.
 */
export type ListIds = ReadonlySet<string | number> | "any";

/** Removes hidden tools from a JSON-RPC response if it answers one of `ids`; else `undefined`. */
export function filterToolsResponse(
  message: unknown,
  ids: ListIds,
  policy: Policy,
  agent: string,
): Record<string, unknown> | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const response = message as Record<string, unknown>;
  if (ids !== "any" && !ids.has(response.id as string | number)) return undefined;
  const result = response.result as Record<string, unknown> | undefined;
  if (!result || !Array.isArray(result.tools)) return undefined;
  const tools = result.tools.filter((tool: unknown) => {
    const name = (tool as { name?: unknown } | null)?.name;
    // A tool without a readable name cannot be judged: leave it out rather than leak it.
    return typeof name === "string" && visibleInList(policy, name, agent);
  });
  return { ...response, result: { ...result, tools } };
}

/** Filters the tools/list answers in an upstream response (JSON or SSE). */
export async function inspectToolsList(
  response: Response,
  ids: ListIds,
  policy: Policy,
  agent: string,
): Promise<Response> {
  if ((ids !== "any" && ids.size === 0) || !policyHides(policy) || response.body === null) return response;
  const rewrite = (value: unknown) => {
    if (Array.isArray(value)) {
      let changed = false;
      const items = value.map((item) => {
        const filtered = filterToolsResponse(item, ids, policy, agent);
        if (filtered) changed = true;
        return filtered ?? item;
      });
      return changed ? items : undefined;
    }
    return filterToolsResponse(value, ids, policy, agent);
  };
  if (isEventStream(response.headers)) {
    const body = rewriteEvents(response.body, (data) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(data);
      } catch {
        // An event the proxy cannot read could carry anything: in a filtered stream it is dropped.
        return null;
      }
      const filtered = rewrite(parsed);
      return filtered === undefined ? undefined : JSON.stringify(filtered);
    });
    return new Response(body, response);
  }
  const contentType = response.headers.get("Content-Type") ?? "";
  if (!contentType.toLowerCase().startsWith("application/json")) return response;
  const read = await readBounded(response);
  if (!read.complete) {
    // Too large to inspect, and it may list hidden tools: refused rather than passed unfiltered.
    await read.rest.cancel();
    return refusalResponse({ kind: "upstream_answer_too_large", limit: MAX_INSPECTED_BYTES });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(read.text);
  } catch {
    return new Response(read.text, response);
  }
  const filtered = rewrite(parsed);
  const headers = new Headers(response.headers);
  headers.delete("Content-Length");
  const text = filtered === undefined ? read.text : JSON.stringify(filtered);
  return new Response(text, { status: response.status, headers });
}
