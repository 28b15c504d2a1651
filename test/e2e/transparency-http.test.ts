/**
 * DESIGN §3, transparency at the HTTP level, against counting upstreams that record every request:
 * upstream status codes pass unchanged (404 for an ended session, 405 for an unsupported GET), the
 * MCP headers cross in both directions while hop-by-hop headers don't, browsers can read the
 * session id, and SSE streams are unbuffered and kept alive.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BOUND_UUID, type RunningProxy, rawRequest, startProxy, upstreamIdOf } from "./harness.ts";
import { type CountingUpstream, startCountingUpstream } from "./upstream.ts";

const ACCEPT = "application/json, text/event-stream";
const VERSION = "2025-06-18";
const APP_ORIGIN = "https://app.example";
const initialize = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: "t", version: "1" } },
};

/** A stateful, spec-compliant upstream (404 for an unknown session) behind a browser-ready proxy. */
let upstream: CountingUpstream;
let proxy: RunningProxy;
/** A stateless upstream: it has no GET stream and answers GET with 405. */
let stateless: CountingUpstream;
let statelessProxy: RunningProxy;

beforeAll(async () => {
  [upstream, stateless] = await Promise.all([
    startCountingUpstream(),
    startCountingUpstream({ stateless: true }),
  ]);
  [proxy, statelessProxy] = await Promise.all([
    startProxy({ UPSTREAM_URL: upstream.url, ALLOWED_ORIGINS: APP_ORIGIN, SSE_KEEPALIVE_MS: "200" }),
    startProxy({ UPSTREAM_URL: stateless.url }),
  ]);
  // The first request to a fresh worker is slow; keep that out of the timed tests.
  await Promise.all([fetch(new URL("/healthz", proxy.url)), fetch(new URL("/healthz", statelessProxy.url))]);
});
afterAll(async () => {
  await Promise.all([proxy?.dispose(), statelessProxy?.dispose()]);
  await Promise.all([upstream?.close(), stateless?.close()]);
});
beforeEach(() => {
  for (const counting of [upstream, stateless]) {
    counting.received.length = 0;
    counting.reply(undefined);
  }
});

/** Opens a session with a raw initialize through the proxy; returns its id. */
async function openSession(): Promise<string> {
  const response = await rawRequest(proxy.url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: ACCEPT },
    body: JSON.stringify(initialize),
  });
  expect(response.status).toBe(200);
  const sessionId = response.headers["mcp-session-id"];
  expect(typeof sessionId).toBe("string");
  return sessionId as string;
}

describe("upstream status codes pass through unchanged", () => {
  it("forwards DELETE, then passes the upstream's 404 for the ended session", async () => {
    const transport = new StreamableHTTPClientTransport(new URL(proxy.url));
    const client = new Client({ name: "t", version: "1" });
    await client.connect(transport);
    const sessionId = transport.sessionId as string;
    await transport.terminateSession();
    await client.close();

    const deletes = upstream.received.filter((request) => request.method === "DELETE");
    expect(deletes).toHaveLength(1);
    expect(deletes[0]?.headers["mcp-session-id"]).toBe(upstreamIdOf(sessionId));

    upstream.received.length = 0;
    const after = await rawRequest(proxy.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: ACCEPT, "Mcp-Session-Id": sessionId },
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
    });
    expect(after.status).toBe(404);
    expect(JSON.parse(after.body)).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32001, message: "Session not found" },
    });
    expect(upstream.received).toHaveLength(1);
    expect(upstream.received[0]?.headers["mcp-session-id"]).toBe(upstreamIdOf(sessionId));
  });

  it("passes the upstream's 405 for a GET it has no stream for", async () => {
    const response = await rawRequest(statelessProxy.url, {
      method: "GET",
      headers: { Accept: "text/event-stream" },
    });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe("POST");
    expect(stateless.received.map((request) => request.method)).toEqual(["GET"]);
    expect(stateless.received[0]?.headers.accept).toBe("text/event-stream");
  });
});

describe("headers", () => {
  it("exposes Mcp-Session-Id to a browser on an allowed origin", async () => {
    const response = await fetch(proxy.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: ACCEPT, Origin: APP_ORIGIN },
      body: JSON.stringify(initialize),
    });
    await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe(APP_ORIGIN);
    const exposed = (response.headers.get("Access-Control-Expose-Headers") ?? "")
      .toLowerCase()
      .split(/\s*,\s*/);
    expect(exposed).toContain("mcp-session-id");
    expect(response.headers.get("Mcp-Session-Id")).toMatch(BOUND_UUID);
    expect(upstream.received.map((request) => request.json)).toEqual([initialize]);
  });

  it("answers a CORS preflight from an allowed origin with 204 and never forwards it", async () => {
    const response = await fetch(proxy.url, {
      method: "OPTIONS",
      headers: {
        Origin: APP_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, mcp-session-id, mcp-protocol-version",
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe(APP_ORIGIN);
    expect(response.headers.get("Access-Control-Allow-Methods")).toMatch(/POST/);
    expect(response.headers.get("Access-Control-Allow-Methods")).toMatch(/DELETE/);
    const allowed = (response.headers.get("Access-Control-Allow-Headers") ?? "").toLowerCase();
    expect(allowed).toContain("mcp-session-id");
    expect(allowed).toContain("mcp-protocol-version");
    expect(upstream.received).toHaveLength(0);
  });

  // Fails today (proxy bug): hono's cors() middleware answers every OPTIONS itself with 204, so the
  // origin check in app.ts's OPTIONS handler never runs. The browser is still protected (no
  // Access-Control-Allow-Origin), but DESIGN §2 stage 1 says a foreign Origin gets 403.
  it("refuses a CORS preflight from a foreign origin with 403", async () => {
    const response = await fetch(proxy.url, {
      method: "OPTIONS",
      headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "POST" },
    });
    expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
    expect(upstream.received).toHaveLength(0);
    expect(response.status).toBe(403);
  });

  it("forwards the session, protocol version, Accept and Mcp-Method/Name/Param-* headers of a POST", async () => {
    const sessionId = await openSession();
    upstream.received.length = 0;
    const response = await rawRequest(proxy.url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: ACCEPT,
        "Mcp-Session-Id": sessionId,
        "MCP-Protocol-Version": VERSION,
        "Mcp-Method": "tools/call",
        "Mcp-Name": "echo",
        "Mcp-Param-Foo": "bar",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "echo", arguments: { message: "hi" } },
      }),
    });
    expect(response.status).toBe(200);
    expect(response.body).toContain("echo: hi");
    expect(upstream.received).toHaveLength(1);
    const headers = upstream.received[0]?.headers ?? {};
    expect(headers).toMatchObject({
      "mcp-session-id": upstreamIdOf(sessionId),
      "mcp-protocol-version": VERSION,
      accept: ACCEPT,
      "mcp-method": "tools/call",
      "mcp-name": "echo",
      "mcp-param-foo": "bar",
    });
  });

  it("forwards Last-Event-ID, Accept and the session on a GET and streams the answer", async () => {
    const sessionId = await openSession();
    upstream.received.length = 0;
    const abort = new AbortController();
    const response = await fetch(proxy.url, {
      headers: {
        Accept: "text/event-stream",
        "Mcp-Session-Id": sessionId,
        "MCP-Protocol-Version": VERSION,
        "Last-Event-ID": "event-41",
      },
      signal: abort.signal,
    });
    abort.abort();
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("text/event-stream");
    expect(upstream.received).toHaveLength(1);
    expect(upstream.received[0]).toMatchObject({
      method: "GET",
      headers: {
        accept: "text/event-stream",
        "mcp-session-id": upstreamIdOf(sessionId),
        "mcp-protocol-version": VERSION,
        "last-event-id": "event-41",
      },
    });
  });

  /** A POST through the proxy carrying hop-by-hop headers next to an ordinary one. */
  async function postWithHopByHop() {
    const response = await rawRequest(statelessProxy.url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: ACCEPT,
        Connection: "x-custom",
        "X-Custom": "1",
        "Keep-Alive": "timeout=5",
        TE: "trailers",
        "X-Kept": "yes",
      },
      body: JSON.stringify(initialize),
    });
    expect(response.status).toBe(200);
    expect(stateless.received).toHaveLength(1);
    return stateless.received[0]?.headers ?? {};
  }

  it("does not forward hop-by-hop headers", async () => {
    const headers = await postWithHopByHop();
    expect(headers["x-kept"]).toBe("yes");
    expect(headers["keep-alive"]).toBeUndefined();
    expect(headers.te).toBeUndefined();
    expect(String(headers.connection ?? "")).not.toContain("x-custom");
  });

  // Known failure, not in src/: workerd removes `Connection` from the request before the Worker
  // runs (but keeps the headers it names), so the proxy cannot tell that X-Custom was hop-by-hop
  // (RFC 9110 §7.6.1). Verified with a bare Worker that echoes its request headers. When this
  // starts passing, the platform has changed: turn it into a plain `it`.
  it.fails("does not forward a header that Connection names (workerd hides Connection from the Worker)", async () => {
    const headers = await postWithHopByHop();
    expect(headers["x-custom"]).toBeUndefined();
  });
});

describe("SSE keep-alive", () => {
  it("marks SSE unbuffered, writes keep-alives while the upstream is idle, then the event intact", async () => {
    const event = 'id: 1\nevent: message\ndata: {"jsonrpc":"2.0","id":1,"result":{"ok":"✓"}}\n\n';
    upstream.reply((_req, res) => {
      // Unlike the SDK's transport, this upstream doesn't ask intermediaries not to buffer.
      res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
      res.flushHeaders();
      setTimeout(() => res.end(event), 700);
    });
    const started = Date.now();
    const response = await fetch(proxy.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: ACCEPT, "Accept-Encoding": "gzip, br" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-cache, no-transform");
    expect(response.headers.get("X-Accel-Buffering")).toBe("no");
    expect(response.headers.get("Content-Encoding")).toBeNull();

    const chunks: Array<{ text: string; at: number }> = [];
    const decoder = new TextDecoder();
    for await (const chunk of response.body as ReadableStream<Uint8Array>) {
      chunks.push({ text: decoder.decode(chunk, { stream: true }), at: Date.now() - started });
    }
    const body = chunks.map((chunk) => chunk.text).join("");
    const keepAlives = body.match(/^: keepalive\n/gm) ?? [];
    expect(keepAlives.length).toBeGreaterThanOrEqual(2);
    expect(body.indexOf(": keepalive")).toBeLessThan(body.indexOf("data:"));
    expect(body.replaceAll(": keepalive\n", "")).toBe(event);
    // The comments went out while the upstream was silent, not together with the event.
    const firstKeepAlive = chunks.find((chunk) => chunk.text.includes(": keepalive"));
    const eventChunk = chunks.find((chunk) => chunk.text.includes("data:"));
    expect((eventChunk?.at ?? 0) - (firstKeepAlive?.at ?? 0)).toBeGreaterThanOrEqual(200);
    expect(upstream.received).toHaveLength(1);
  });
});
