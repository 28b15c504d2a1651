import { describe, expect, it } from "vitest";
import { withKeepAlive } from "../../src/http/sse.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A source stream whose chunks are written by the test, with pauses in between. */
function source() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    start: (c) => {
      controller = c;
    },
  });
  return {
    stream,
    write: (text: string) => controller.enqueue(encoder.encode(text)),
    end: () => controller.close(),
  };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const chunks: string[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    chunks.push(decoder.decode(value));
  }
}

describe("SSE keep-alive", () => {
  it("writes a comment when the stream idles at an event boundary", async () => {
    const upstream = source();
    const collected = readAll(withKeepAlive(upstream.stream, 50));
    upstream.write("event: message\ndata: 1\n\n");
    await sleep(180);
    upstream.write("event: message\ndata: 2\n\n");
    upstream.end();
    const chunks = await collected;
    expect(chunks[0]).toBe("event: message\ndata: 1\n\n");
    expect(chunks).toContain(": keepalive\n");
    expect(chunks.at(-1)).toBe("event: message\ndata: 2\n\n");
  });

  it("never writes a comment inside a line the upstream has not finished", async () => {
    const upstream = source();
    const collected = readAll(withKeepAlive(upstream.stream, 30));
    upstream.write('data: {"half":');
    await sleep(150);
    upstream.write(" true}\n\n");
    upstream.end();
    expect((await collected).join("")).toBe('data: {"half": true}\n\n');
  });

  it("passes each chunk on as soon as it arrives", async () => {
    const upstream = source();
    const reader = withKeepAlive(upstream.stream, 10_000).getReader();
    upstream.write("data: first\n\n");
    const first = await reader.read();
    expect(decoder.decode(first.value)).toBe("data: first\n\n");
    upstream.end();
    expect((await reader.read()).done).toBe(true);
  });

  it("does not stall on an empty chunk", async () => {
    const upstream = source();
    const collected = readAll(withKeepAlive(upstream.stream, 10_000));
    upstream.write("");
    upstream.write("data: after\n\n");
    upstream.end();
    expect((await collected).join("")).toBe("data: after\n\n");
  });

  it("cancels the upstream when the client goes away", async () => {
    let cancelled: unknown;
    const upstream = new ReadableStream<Uint8Array>({
      cancel: (reason) => {
        cancelled = reason;
      },
    });
    const wrapped = withKeepAlive(upstream, 10_000);
    await wrapped.cancel("client left");
    expect(cancelled).toBe("client left");
  });
});
