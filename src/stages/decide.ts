/**
 * Stage 4 — decide. Every `tools/call` in the body — a lone request, each call of a batch, and a
 * `tools/call` sent as a notification (which would otherwise run unjudged) — is judged by the
 * compiled policy: a pure function, no I/O. A call the policy cannot read (no string name,
 * arguments that are not an object) is not forwarded: the proxy answers it with -32602.
 *
 * For protocol 2026-07-28 the `Mcp-Method` and `Mcp-Name` headers mirror the body; intermediaries
 * and the upstream may act on them, while the policy reads the body. If they disagree the request
 * is refused whole (400, HeaderMismatch) so nothing downstream can act on a name the policy did
 * not judge.
 */
import type { JsonRpcId, Refusal } from "../errors.ts";
import { hasProtoKey } from "../json-walk.ts";
import { type Decision, decide, listVisibility, type Policy } from "../policy/index.ts";
import type { Result } from "../result.ts";
import type { Message, ParsedBody } from "./parse.ts";

/** One judged tools/call: where it sits in the body, what it asks, and the verdict. */
export interface JudgedCall {
  index: number;
  id: JsonRpcId | undefined;
  tool: string;
  args: Record<string, unknown>;
  decision: Decision;
}

/** A tools/call the policy cannot read; answered by the proxy, never forwarded. */
export interface UnreadableCall {
  index: number;
  id: JsonRpcId | undefined;
  problem: string;
}

export interface Judgement {
  calls: JudgedCall[];
  unreadable: UnreadableCall[];
}

const EMPTY_ARGS: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/** Judges every tools/call of a parsed body for `agent`. */
export function decideAll(parsed: ParsedBody, policy: Policy, agent: string): Judgement {
  const calls: JudgedCall[] = [];
  const unreadable: UnreadableCall[] = [];
  parsed.messages.forEach((message, index) => {
    if (message.method !== "tools/call") return;
    const id = idOf(message);
    const params = message.params as Record<string, unknown> | undefined;
    const tool = params?.name;
    if (typeof tool !== "string") {
      unreadable.push({ index, id, problem: "tools/call needs params.name, a string" });
      return;
    }
    const rawArgs = params?.arguments;
    if (
      rawArgs !== undefined &&
      (typeof rawArgs !== "object" || rawArgs === null || Array.isArray(rawArgs))
    ) {
      unreadable.push({ index, id, problem: "tools/call params.arguments must be an object" });
      return;
    }
    // An own "__proto__" key is inert to the policy, but an upstream that merges arguments with
    // Object.assign would turn it into a prototype and read values the policy never saw.
    if (rawArgs !== undefined && hasProtoKey(rawArgs)) {
      unreadable.push({
        index,
        id,
        problem: 'tools/call params.arguments may not contain a "__proto__" key',
      });
      return;
    }
    const args = (rawArgs as Record<string, unknown> | undefined) ?? EMPTY_ARGS;
    calls.push({ index, id, tool, args, decision: judge(policy, tool, args, agent) });
  });
  return { calls, unreadable };
}

/** Whether every code unit is ASCII (then the name is already in NFKC form). */
function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}
const RANK = { allow: 0, require_approval: 1, deny: 2, hide: 3 } as const;

/**
 * Judges a call by the exact code points of its name (DESIGN §4: `dеlete_broker` with a Cyrillic
 * "е" is another tool). A name that is not in Unicode NFKC form is judged a second time under its
 * NFKC form and the stricter verdict wins, so an upstream that normalizes names (fullwidth
 * `ｄｅｌｅｔｅ_broker` → `delete_broker`) cannot be used to slip past a rule.
 */
export function judge(policy: Policy, tool: string, args: Record<string, unknown>, agent: string): Decision {
  const exact = decide(policy, { tool, args, agent });
  if (isAscii(tool)) return exact;
  const folded = tool.normalize("NFKC");
  if (folded === tool) return exact;
  const other = decide(policy, { tool: folded, args, agent });
  if (RANK[other.action] !== RANK[exact.action])
    return RANK[other.action] > RANK[exact.action] ? other : exact;
  const known = new Set(exact.limits.map((limit) => limit.ruleId));
  return { ...exact, limits: [...exact.limits, ...other.limits.filter((limit) => !known.has(limit.ruleId))] };
}

/** Whether a tools/list entry is shown, by the same two-form rule as `judge`. */
export function visibleInList(policy: Policy, tool: string, agent: string): boolean {
  if (listVisibility(policy, tool, agent) === "hidden") return false;
  if (isAscii(tool)) return true;
  const folded = tool.normalize("NFKC");
  return folded === tool || listVisibility(policy, folded, agent) === "visible";
}

function idOf(message: Message): JsonRpcId | undefined {
  const id = message.id;
  return typeof id === "string" || typeof id === "number" ? id : undefined;
}

/** Where `Mcp-Name` is mirrored from, per method (MCP 2026-07-28, Streamable HTTP headers). */
const NAME_SOURCE: Readonly<Record<string, "name" | "uri">> = {
  "tools/call": "name",
  "prompts/get": "name",
  "resources/read": "uri",
};

/** Checks `Mcp-Method` / `Mcp-Name` against the body. */
export function checkMirroredHeaders(headers: Headers, parsed: ParsedBody): Result<void, Refusal> {
  const methodHeader = headers.get("Mcp-Method");
  const nameHeader = headers.get("Mcp-Name");
  if (methodHeader === null && nameHeader === null) return { ok: true, value: undefined };
  for (const message of parsed.messages) {
    const method = typeof message.method === "string" ? message.method : undefined;
    if (methodHeader !== null && method !== methodHeader.trim()) {
      return mismatch(
        `the Mcp-Method header is "${methodHeader}" but the body's method is "${method ?? "(none)"}"`,
      );
    }
    if (nameHeader === null || method === undefined) continue;
    const source = NAME_SOURCE[method];
    if (source === undefined) continue;
    const params = message.params as Record<string, unknown> | undefined;
    const bodyName = params?.[source];
    const headerName = decodeHeaderValue(nameHeader.trim());
    if (headerName === undefined || bodyName !== headerName) {
      return mismatch(
        `the Mcp-Name header is "${nameHeader}" but the body's params.${source} is ${JSON.stringify(bodyName)}`,
      );
    }
  }
  return { ok: true, value: undefined };
}

function mismatch(detail: string): Result<void, Refusal> {
  return { ok: false, error: { kind: "header_mismatch", detail } };
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * Header values that are not plain ASCII are sent as `=?base64?<base64 of UTF-8>?=`
 * (MCP 2026-07-28). Returns the decoded value, or `undefined` when the encoding is broken.
 */
export function decodeHeaderValue(value: string): string | undefined {
  const encoded = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/i.exec(value);
  if (!encoded) return value;
  try {
    return utf8.decode(Uint8Array.from(atob(encoded[1] ?? ""), (char) => char.charCodeAt(0)));
  } catch {
    return undefined;
  }
}
