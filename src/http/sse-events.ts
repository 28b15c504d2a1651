/**
 * Event-level SSE rewriting, for the few responses the proxy must change (a tools/list result
 * with hidden tools). Each complete event is offered to `rewrite`; an event it leaves alone is
 * re-emitted exactly as received, and each event is emitted as soon as it is complete.
 */

/**
 * A blank line: two line ends, each CRLF, LF or a lone CR (WHATWG HTML §9.2.5). A CR at the very
 * end of the buffer may be half of a CRLF, so it is not trusted until more data arrives.
 */
const BLANK_LINE = /(?:\r\n|\n|\r(?!\n))(?:\r\n|\n|\r(?!\n))/g;

const READ_AHEAD = 16;

/** The largest single event the proxy will hold to inspect (characters); larger fails the stream. */
export const MAX_EVENT_CHARS = 8 * 1024 * 1024;

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

/**
 * Rewrites complete events of an SSE body. `rewrite` returns the new data, `undefined` to keep the
 * event as received, or `null` to drop it. An event larger than MAX_EVENT_CHARS errors the stream
 * (fail closed) rather than grow without bound.
 */
export function rewriteEvents(
  body: ReadableStream<Uint8Array>,
  rewrite: (data: string) => string | null | undefined,
): ReadableStream<Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffer = "";
  let scanFrom = 0;
  /** Emits every complete event; true when something was enqueued (or the stream was failed). */
  const flushEvents = (controller: ReadableStreamDefaultController<Uint8Array>, final: boolean): boolean => {
    let out = "";
    for (;;) {
      BLANK_LINE.lastIndex = scanFrom;
      const match = BLANK_LINE.exec(buffer);
      const end = match === null ? -1 : match.index + match[0].length;
      if (match === null || (!final && end === buffer.length && buffer.endsWith("\r"))) break;
      const block = buffer.slice(0, match.index);
      const separator = match[0];
      buffer = buffer.slice(end);
      scanFrom = 0;
      const data = eventData(block);
      const replaced = data === undefined ? undefined : rewrite(data);
      if (replaced === null) continue;
      out += (replaced === undefined ? block : replaceEventData(block, replaced)) + separator;
    }
    // Resume where the last scan stopped (less a possible half line end), not from the start.
    scanFrom = Math.max(0, buffer.length - 3);
    if (out) controller.enqueue(encoder.encode(out));
    if (buffer.length > MAX_EVENT_CHARS) {
      controller.error(new Error(`an SSE event exceeded ${MAX_EVENT_CHARS} characters; the stream was cut`));
      return true;
    }
    return out !== "";
  };
  // A pull stream reading ahead (not a TransformStream): in workerd each JS stream hop per chunk is
  // the cost here, and overlapping reads with writes halves it (bench/RESULTS.md).
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        // A pull that enqueues nothing is not called again (WHATWG Streams), so read until an
        // event is complete or the body ends.
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          if (flushEvents(controller, false)) return;
        }
        buffer += decoder.decode();
        flushEvents(controller, true);
        if (buffer) controller.enqueue(encoder.encode(buffer));
        controller.close();
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: READ_AHEAD },
  );
}

/** Encodes JSON-RPC messages as SSE `message` events. */
export function encodeEvents(messages: readonly unknown[]): Uint8Array {
  return new TextEncoder().encode(
    messages.map((message) => `event: message\ndata: ${JSON.stringify(message)}\n\n`).join(""),
  );
}
