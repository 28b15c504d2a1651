/**
 * Server-Sent Events pass-through. Each chunk goes to the client the moment the upstream sends it
 * (no buffering), and when the stream is idle for `keepAliveMs` a `:` comment line is written so
 * Cloudflare's edge and other intermediaries don't cut it (SSE comments are ignored by every
 * parser: WHATWG HTML §9.2.6). A comment is only inserted at a line boundary, never inside an
 * upstream line, and is one line without a blank line after it, so even between two lines of one
 * event it does not dispatch anything.
 */

/** A comment *line*, not an event: inserted at a line boundary it can never end an event early. */
const KEEPALIVE = new TextEncoder().encode(": keepalive\n");
const LF = 0x0a;
const PULL_AHEAD = 16;

/**
 * Wraps an SSE body so idle periods get keep-alive comments. Cancelling it cancels the upstream.
 * It reads up to PULL_AHEAD chunks ahead of the client (each is passed on the moment it arrives;
 * this only lets reading and writing overlap, which halves the cost of a JS hop per chunk).
 */
export function withKeepAlive(
  body: ReadableStream<Uint8Array>,
  keepAliveMs: number,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  // Idle means a whole interval passed without data: judged by the ticks themselves, so timer
  // jitter cannot skip a keep-alive (the gap is between one and two intervals).
  let active = false;
  let atLineStart = true;
  let timer: ReturnType<typeof setInterval> | undefined;
  const stop = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        timer = setInterval(() => {
          if (active) {
            active = false;
            return;
          }
          if (!atLineStart) return;
          try {
            controller.enqueue(KEEPALIVE);
          } catch {
            stop();
          }
        }, keepAliveMs);
      },
      async pull(controller) {
        try {
          // A pull that enqueues nothing is not called again: skip empty chunks within this one.
          for (;;) {
            const { done, value } = await reader.read();
            if (done) {
              stop();
              controller.close();
              return;
            }
            if (value.byteLength === 0) continue;
            atLineStart = value[value.byteLength - 1] === LF;
            active = true;
            controller.enqueue(value);
            return;
          }
        } catch (error) {
          stop();
          controller.error(error);
        }
      },
      cancel(reason) {
        stop();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: PULL_AHEAD },
  );
}

/** Applies keep-alives to a response if it is an SSE stream; any other response is returned as is. */
export function keepAlive(response: Response, keepAliveMs: number): Response {
  if (response.body === null || !isEventStream(response.headers)) return response;
  return new Response(withKeepAlive(response.body, keepAliveMs), response);
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
