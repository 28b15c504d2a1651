#!/usr/bin/env node
/**
 * The benchmark's upstream: a fast, stateless MCP server on loopback (Streamable HTTP, no session
 * id), built on node:http with pre-built JSON so it costs as little as possible. Run as a child
 * process (`node bench/upstream.mjs`); it prints `{"port": N}` once listening.
 *
 * A request whose `params._meta["bench/mode"]` is "sse" is answered as `text/event-stream`
 * (`event: message\ndata: …\n\n`), any other as `application/json`. Tools:
 *  - tools/list          500 tools (hidden_000 … hidden_049 among them), pre-serialized; with
 *                        `_meta["bench/listBytes"]: N`, one tool with an N-byte description (memory control);
 *  - bench_big {bytes}   a text result of `bytes` bytes, written in 64 KiB chunks with back-pressure;
 *  - bench_progress {n, intervalMs}  (SSE) n notifications/progress, each carrying the upstream's
 *                        send time (`process.hrtime`, CLOCK_MONOTONIC, comparable across processes),
 *                        then the result;
 *  - anything else       a small "ok" result.
 */
import { createServer } from "node:http";

const TOOL_COUNT = 500;
const HIDDEN_COUNT = 50;
const CHUNK = 64 * 1024;

function toolName(i) {
  return i < HIDDEN_COUNT ? `hidden_${String(i).padStart(3, "0")}` : `tool_${String(i).padStart(3, "0")}`;
}

const tools = Array.from({ length: TOOL_COUNT }, (_, i) => ({
  name: toolName(i),
  description: `Benchmark tool number ${i}: looks something up in a catalogue and returns what it found.`,
  inputSchema: {
    type: "object",
    properties: {
      query: { type: "string", description: "What to look for" },
      limit: { type: "integer", minimum: 1, maximum: 100 },
    },
    required: ["query"],
  },
  annotations: { readOnlyHint: true },
}));
const LIST_RESULT = JSON.stringify({ tools });
const OK_RESULT = JSON.stringify({ content: [{ type: "text", text: "ok" }] });

/** The JSON text of a response to `id` whose result is the JSON text `result`. */
const responseText = (id, result) => `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${result}}`;

function sseEvent(json) {
  return `event: message\ndata: ${json}\n\n`;
}

function send(res, mode, json) {
  if (mode === "sse") {
    res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
    res.end(sseEvent(json));
  } else {
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(json) });
    res.end(json);
  }
}

function write(res, chunk) {
  return res.write(chunk) ? undefined : new Promise((resolve) => res.once("drain", resolve));
}

async function sendBig(res, mode, id, bytes) {
  const head = `${mode === "sse" ? "event: message\ndata: " : ""}{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"`;
  const tail = `"}]}}${mode === "sse" ? "\n\n" : ""}`;
  res.writeHead(200, {
    "Content-Type": mode === "sse" ? "text/event-stream" : "application/json",
    "Cache-Control": "no-cache",
  });
  await write(res, head);
  const chunk = Buffer.alloc(CHUNK, "x");
  for (let left = bytes; left > 0; left -= CHUNK) {
    await write(res, left >= CHUNK ? chunk : chunk.subarray(0, left));
  }
  res.end(tail);
}

async function sendProgress(res, id, token, count, intervalMs) {
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
  for (let i = 1; i <= count; i++) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    const params = { progressToken: token, progress: i, total: count, message: `${process.hrtime.bigint()}` };
    res.write(sseEvent(JSON.stringify({ jsonrpc: "2.0", method: "notifications/progress", params })));
  }
  res.end(sseEvent(responseText(id, OK_RESULT)));
}

async function handle(req, res) {
  if (req.method !== "POST") {
    res.writeHead(405, { Allow: "POST" }).end();
    return;
  }
  const parts = [];
  for await (const part of req) parts.push(part);
  let message;
  try {
    message = JSON.parse(Buffer.concat(parts).toString("utf8"));
  } catch {
    res.writeHead(400, { "Content-Type": "application/json" }).end('{"error":"bad json"}');
    return;
  }
  // The mode rides in the message itself (params._meta), which the proxy forwards as judged;
  // query strings and unknown headers are not guaranteed to reach the upstream.
  const meta = message.params?._meta ?? {};
  const mode = meta["bench/mode"] === "sse" ? "sse" : "json";
  if (message.id === undefined) {
    res.writeHead(202).end();
    return;
  }
  if (message.method === "tools/list") {
    const padding = Number(meta["bench/listBytes"] ?? 0);
    if (padding > 0) {
      // One tool with a huge description: a tools/list answer the proxy must read whole to filter.
      const big = {
        tools: [{ name: "tool_big", description: "x".repeat(padding), inputSchema: { type: "object" } }],
      };
      return send(res, mode, responseText(message.id, JSON.stringify(big)));
    }
    return send(res, mode, responseText(message.id, LIST_RESULT));
  }
  if (message.method === "tools/call") {
    const { name, arguments: args = {}, _meta } = message.params ?? {};
    if (name === "bench_big") return sendBig(res, mode, message.id, Number(args.bytes) || 0);
    if (name === "bench_progress" && mode === "sse") {
      return sendProgress(
        res,
        message.id,
        _meta?.progressToken ?? 1,
        Number(args.n) || 20,
        args.intervalMs ?? 5,
      );
    }
    return send(res, mode, responseText(message.id, OK_RESULT));
  }
  return send(res, mode, responseText(message.id, "{}"));
}

const server = createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
  handle(req, res).catch((error) => {
    if (!res.headersSent) res.writeHead(500);
    res.end(String(error));
  });
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
