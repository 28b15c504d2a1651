/**
 * Responses that carry the proxy's own answers: alone (nothing was forwarded), or merged into the
 * upstream's response to the forwarded part of a batch (JSON arrays joined; SSE events prepended,
 * so the refused calls are answered at once and the stream then continues untouched).
 */

import { refusalResponse } from "../errors.ts";
import type { ProxyAnswer } from "../stages/enforce.ts";
import { MAX_INSPECTED_BYTES, readBounded } from "./bounded.ts";
import { isEventStream } from "./sse.ts";
import { encodeEvents } from "./sse-events.ts";

/**
 * The response when nothing was forwarded: the answers as JSON, or 202 when only notifications
 * were refused. The client's session id is echoed, as an upstream's answer would carry it.
 */
export function answersResponse(
  answers: readonly ProxyAnswer[],
  batch: boolean,
  sessionId: string | null,
): Response {
  const headers: Record<string, string> = sessionId === null ? {} : { "Mcp-Session-Id": sessionId };
  if (answers.length === 0) return new Response(null, { status: 202, headers });
  return Response.json(batch ? answers : answers[0], { headers });
}

/** Merges the proxy's answers into the upstream's response to the rest of a batch. */
export async function mergeAnswers(response: Response, answers: readonly ProxyAnswer[]): Promise<Response> {
  if (answers.length === 0) return response;
  if (response.status === 202) {
    await response.body?.cancel();
    return Response.json(answers);
  }
  // An upstream error (unknown session, auth) says more than our answers would: it wins.
  if (response.status < 200 || response.status >= 300 || response.body === null) return response;
  if (isEventStream(response.headers)) {
    const upstream = response.body;
    const prefix = encodeEvents(answers);
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(prefix);
      },
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
    const reader = upstream.getReader();
    return new Response(body, response);
  }
  const read = await readBounded(response);
  if (!read.complete) {
    await read.rest.cancel();
    return refusalResponse({ kind: "upstream_answer_too_large", limit: MAX_INSPECTED_BYTES });
  }
  const text = read.text;
  let items: unknown;
  try {
    items = JSON.parse(text);
  } catch {
    return new Response(text, response);
  }
  const merged = [...(Array.isArray(items) ? items : [items]), ...answers];
  const headers = new Headers(response.headers);
  headers.delete("Content-Length");
  return new Response(JSON.stringify(merged), { status: response.status, headers });
}
