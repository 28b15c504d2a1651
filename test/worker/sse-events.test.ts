/**
 * Event-level SSE rewriting: events are found by the spec's blank lines (CRLF, LF or CR, also
 * split across chunks), unchanged events pass byte for byte, dropped ones vanish, and an event
 * that never ends cannot grow without bound.
 */
import { describe, expect, it } from "vitest";
import { MAX_EVENT_CHARS, rewriteEvents } from "../../src/http/sse-events.ts";

const encoder = new TextEncoder();

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

describe("rewriteEvents", () => {
  it("passes events it leaves alone byte for byte, whatever their line ends", async () => {
    const source = "event: a\r\ndata: 1\r\n\r\n: comment\ndata: 2\n\ndata: 3\r\rid: 4\ndata: 4\n\r\n";
    const seen: string[] = [];
    const out = await text(
      rewriteEvents(streamOf(source), (data) => {
        seen.push(data);
        return undefined;
      }),
    );
    expect(out).toBe(source);
    expect(seen).toEqual(["1", "2", "3", "4"]);
  });

  it("finds an event whose blank line is split across chunks, CRLF halves included", async () => {
    const seen: string[] = [];
    await text(
      rewriteEvents(streamOf('data: {"a":', "1}\r", "\n\r", "\ndata: 2\n", "\n"), (data) => {
        seen.push(data);
        return undefined;
      }),
    );
    expect(seen).toEqual(['{"a":1}', "2"]);
  });

  it("joins multi-line data and replaces it, keeping the event's other fields", async () => {
    const out = await text(
      rewriteEvents(streamOf('event: message\nid: 7\ndata: {"x":\ndata: 1}\n\n'), () => '{"x":2}'),
    );
    expect(out).toBe('event: message\nid: 7\ndata: {"x":2}\n\n');
  });

  it("drops an event when asked", async () => {
    const out = await text(
      rewriteEvents(streamOf("data: keep\n\ndata: drop\n\n"), (data) => (data === "drop" ? null : undefined)),
    );
    expect(out).toBe("data: keep\n\n");
  });

  it("errors the stream rather than hold an event that never ends", async () => {
    const huge = `data: ${"x".repeat(MAX_EVENT_CHARS)}`;
    await expect(text(rewriteEvents(streamOf(huge, "more"), () => undefined))).rejects.toThrow(/exceeded/);
  });
});
