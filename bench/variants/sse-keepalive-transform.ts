/**
 * Profiling variant of src/http/sse.ts (a proposed change): the keep-alive wrapper is a
 * TransformStream (default queueing: the next chunk is read while the previous one is written)
 * instead of a pull stream with highWaterMark 0 (one chunk in flight, a JS round trip per chunk).
 * Same contract: chunks pass unchanged and at once; `:` comments only at a line boundary.
 */

const KEEPALIVE = new TextEncoder().encode(": keepalive\n\n");
const LF = 0x0a;

/** Wraps an SSE body so idle periods get keep-alive comments. Cancelling it cancels the upstream. */
export function withKeepAlive(
  body: ReadableStream<Uint8Array>,
  keepAliveMs: number,
): ReadableStream<Uint8Array> {
  let lastWrite = Date.now();
  let atLineStart = true;
  let timer: ReturnType<typeof setInterval> | undefined;
  const stop = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      start(controller) {
        timer = setInterval(() => {
          if (!atLineStart || Date.now() - lastWrite < keepAliveMs) return;
          try {
            controller.enqueue(KEEPALIVE);
            lastWrite = Date.now();
          } catch {
            stop();
          }
        }, keepAliveMs);
      },
      transform(chunk, controller) {
        if (chunk.byteLength === 0) return;
        atLineStart = chunk[chunk.byteLength - 1] === LF;
        lastWrite = Date.now();
        controller.enqueue(chunk);
      },
      flush: stop,
      cancel: stop,
    } as Transformer<Uint8Array, Uint8Array>),
  );
}

/** Response headers that keep an SSE stream from being buffered or compressed on the way out. */
export function markUnbuffered(headers: Headers): void {
  headers.set("Cache-Control", "no-cache, no-transform");
  headers.set("X-Accel-Buffering", "no");
  headers.delete("Content-Length");
  headers.delete("Content-Encoding");
}

/** Whether a response carries an SSE stream. */
export function isEventStream(headers: Headers): boolean {
  return (headers.get("Content-Type") ?? "").toLowerCase().startsWith("text/event-stream");
}
