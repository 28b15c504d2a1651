/**
 * After forwarding — `count: success` refunds (issue: a rule that counts only successful calls).
 * When the upstream answers a call with an error (`isError: true` or a JSON-RPC error), or the
 * request fails as a whole, the hits that call reserved under `count: success` are given back.
 * The response itself is never changed: this stage only watches it go by.
 */
import type { JsonRpcId } from "../errors.ts";
import { readBounded } from "../http/bounded.ts";
import { isEventStream } from "../http/sse.ts";
import { rewriteEvents } from "../http/sse-events.ts";
import type { PlacedLimit } from "../limiter/client.ts";
import type { Refundable } from "./limits.ts";

/** Whether a JSON-RPC response reports failure: a protocol error or a tool result with isError. */
export function isFailure(message: unknown): boolean {
  if (typeof message !== "object" || message === null) return false;
  const response = message as { error?: unknown; result?: { isError?: unknown } };
  return response.error !== undefined || response.result?.isError === true;
}

/**
 * Watches a forwarded response and calls `refund` for each pending call the upstream failed.
 * A call whose answer never arrives keeps its hits (the safe side).
 */
export async function settleRefunds(
  response: Response,
  pending: Refundable,
  refund: (limits: PlacedLimit[]) => void,
): Promise<Response> {
  if (pending.size === 0) return response;
  if (response.status < 200 || response.status >= 300 || response.body === null) {
    for (const limits of pending.values()) refund(limits);
    return response;
  }
  const check = (value: unknown) => {
    for (const message of Array.isArray(value) ? value : [value]) {
      const id = (message as { id?: JsonRpcId } | null)?.id;
      if (id === undefined || id === null) continue;
      const limits = pending.get(id);
      if (limits === undefined) continue;
      pending.delete(id);
      if (isFailure(message)) refund(limits);
    }
  };
  const parse = (text: string) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  };
  if (isEventStream(response.headers)) {
    const body = rewriteEvents(response.body, (data) => {
      check(parse(data));
      return undefined;
    });
    return new Response(body, response);
  }
  const read = await readBounded(response);
  // Too large to read whole: passed on untouched, and its calls keep their hits (the safe side).
  if (!read.complete) return new Response(read.rest, response);
  check(parse(read.text));
  return new Response(read.text, response);
}
