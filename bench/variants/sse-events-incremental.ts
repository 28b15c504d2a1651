/**
 * Profiling variant of src/http/sse-events.ts (a proposed change): the boundary search is linear.
 *
 * Event-level SSE rewriting, for the few responses the proxy must change (a tools/list result
 * with hidden tools). Each complete event is offered to `rewrite`; an event it leaves alone is
 * re-emitted exactly as received, and each event is emitted as soon as it is complete.
 */

export const MAX_EVENT_CHARS = 8 * 1024 * 1024;

const BOUNDARY = /\r\n\r\n|\n\n|\r\r/;

/** An SSE event's data (its `data:` lines joined with "\n"), or `undefined` if it has none. */
export function eventData(block: string): string | undefined {
  let data: string | undefined;
  for (const line of block.split(/\r\n|\r|\n/)) {
    if (!line.startsWith("data")) continue;
    if (line !== "data" && line[4] !== ":") continue;
    const value = line.length > 5 && line[5] === " " ? line.slice(6) : line.slice(5);
    data = data === undefined ? value : `${data}\n${value}`;
  }
  return data;
}

/** The same event with its data replaced by `data` (one line: `data` must be JSON, no newlines). */
export function replaceEventData(block: string, data: string): string {
  const lines = block.split(/\r\n|\r|\n/);
  const out: string[] = [];
  let written = false;
  for (const line of lines) {
    const isData = line.startsWith("data:") || line === "data";
    if (!isData) out.push(line);
    else if (!written) {
      out.push(`data: ${data}`);
      written = true;
    }
  }
  return out.join("\n");
}

/** Rewrites complete events of an SSE body; `rewrite` returns the new data, or undefined for none. */
export function rewriteEvents(
  body: ReadableStream<Uint8Array>,
  rewrite: (data: string) => string | null | undefined,
): ReadableStream<Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffer = "";
  // Text that arrived since the last complete event, as pieces: joined only once a piece shows a
  // boundary (searched in that piece plus the 3 characters before it), so an event that arrives
  // in many chunks costs O(size), not O(size × chunks) as re-searching the whole buffer does.
  let parts: string[] = [];
  let tail = "";
  const flushEvents = (controller: TransformStreamDefaultController<Uint8Array>) => {
    let out = "";
    for (let match = BOUNDARY.exec(buffer); match !== null; match = BOUNDARY.exec(buffer)) {
      const block = buffer.slice(0, match.index);
      const separator = match[0];
      buffer = buffer.slice(match.index + separator.length);
      const data = eventData(block);
      const replaced = data === undefined ? undefined : rewrite(data);
      if (replaced === null) continue;
      out += (replaced === undefined ? block : replaceEventData(block, replaced)) + separator;
    }
    if (out) controller.enqueue(encoder.encode(out));
  };
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        const piece = decoder.decode(chunk, { stream: true });
        if (piece === "") return;
        parts.push(piece);
        const probe = tail + piece;
        tail = probe.slice(-3);
        if (!BOUNDARY.test(probe)) return;
        buffer = parts.join("");
        flushEvents(controller);
        parts = buffer ? [buffer] : [];
        tail = buffer.slice(-3);
      },
      flush(controller) {
        buffer = parts.join("") + decoder.decode();
        flushEvents(controller);
        if (buffer) controller.enqueue(encoder.encode(buffer));
      },
    }),
  );
}

/** Encodes JSON-RPC messages as SSE `message` events. */
export function encodeEvents(messages: readonly unknown[]): Uint8Array {
  return new TextEncoder().encode(
    messages.map((message) => `event: message\ndata: ${JSON.stringify(message)}\n\n`).join(""),
  );
}
