/**
 * Reading a response body the proxy must look at as a whole (a JSON tools/list answer, a JSON
 * batch answer), without letting an upstream make the isolate hold more than it can afford.
 */

/** The most the proxy reads into memory to inspect one JSON answer (bytes). */
export const MAX_INSPECTED_BYTES = 8 * 1024 * 1024;

export type Bounded =
  | { complete: true; text: string }
  /** Over the limit: `rest` replays what was read, then the remainder, untouched. */
  | { complete: false; rest: ReadableStream<Uint8Array> };

/**
 * Reads a response's body up to `limit` bytes; beyond that, hands back a stream of the whole
 * thing instead. A body that declares a length within the limit is read natively in one go.
 */
export async function readBounded(response: Response, limit = MAX_INSPECTED_BYTES): Promise<Bounded> {
  const declared = Number(response.headers.get("Content-Length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared <= limit) return { complete: true, text: await response.text() };
  if (response.body === null) return { complete: true, text: "" };
  const reader = response.body.getReader();
  const { chunks, overflow } = await collectUpTo(reader, limit);
  if (overflow) {
    const rest = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const next = chunks.shift();
        if (next !== undefined) return controller.enqueue(next);
        const read = await reader.read();
        if (read.done) controller.close();
        else controller.enqueue(read.value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return { complete: false, rest };
  }
  const decoder = new TextDecoder();
  let text = "";
  for (const chunk of chunks) text += decoder.decode(chunk, { stream: true });
  return { complete: true, text: text + decoder.decode() };
}

/**
 * Reads chunks until the stream ends or more than `limit` bytes have arrived (`overflow`; the
 * chunk that crossed the limit is kept, and the rest is left unread in `reader`).
 */
export async function collectUpTo(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  limit: number,
): Promise<{ chunks: Uint8Array[]; total: number; overflow: boolean }> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { chunks, total, overflow: false };
    chunks.push(value);
    total += value.byteLength;
    if (total > limit) return { chunks, total, overflow: true };
  }
}
