/**
 * Build item 4: every failure gets a clear status and JSON-RPC error, and nothing reaches the
 * upstream. Each refusal is checked against a counting upstream that records every request.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RpcErrorBody, type RunningProxy, rawRequest, startProxy } from "./harness.ts";
import { type CountingUpstream, startCountingUpstream } from "./upstream.ts";

const ACCEPT = "application/json, text/event-stream";
const initialize = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
};

let upstream: CountingUpstream;
let proxy: RunningProxy;

beforeAll(async () => {
  upstream = await startCountingUpstream({ stateless: true, json: true });
  proxy = await startProxy({ UPSTREAM_URL: upstream.url, MAX_BODY_BYTES: "1024", LOOPBACK_ONLY: "true" });
});
afterAll(async () => {
  await proxy?.dispose();
  await upstream?.close();
});
beforeEach(() => {
  upstream.received.length = 0;
  upstream.reply(undefined);
});

async function post(body: string | Uint8Array, headers: Record<string, string> = {}) {
  const response = await fetch(proxy.url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: ACCEPT, ...headers },
    body,
  });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as RpcErrorBody,
  };
}

describe("refusals never reach the upstream", () => {
  it("answers a body over MAX_BODY_BYTES with 413", async () => {
    const big = JSON.stringify({ ...initialize, params: { ...initialize.params, pad: "x".repeat(2000) } });
    const res = await post(big);
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe(-32600);
    expect(res.json.error.message).toContain("larger than 1024 bytes");
    expect(upstream.received).toHaveLength(0);
  });

  it("answers a chunked body that grows past the limit with 413", async () => {
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 8; i++) controller.enqueue(new TextEncoder().encode(" ".repeat(200)));
        controller.close();
      },
    });
    const response = await fetch(proxy.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: ACCEPT },
      body: chunks,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(((await response.json()) as RpcErrorBody).error.code).toBe(-32600);
    expect(upstream.received).toHaveLength(0);
  });

  it("answers a wrong Content-Type with 415", async () => {
    const res = await post(JSON.stringify(initialize), { "Content-Type": "text/plain" });
    expect(res.status).toBe(415);
    expect(res.json.error.code).toBe(-32600);
    expect(res.json.error.message).toContain("application/json");
    expect(upstream.received).toHaveLength(0);
  });

  it("answers malformed JSON with 400 and -32700", async () => {
    const res = await post('{"jsonrpc": "2.0", "id": 1,');
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(-32700);
    expect(res.json.error.message).toMatch(/not JSON/);
    expect(upstream.received).toHaveLength(0);
  });

  it("answers invalid UTF-8 with 400 and -32700", async () => {
    const res = await post(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(-32700);
    expect(res.json.error.message).toContain("UTF-8");
    expect(upstream.received).toHaveLength(0);
  });

  it.each([
    ["a JSON string", '"hello"', "expected a JSON-RPC object"],
    ["a missing jsonrpc member", '{"id":1,"method":"ping"}', '"jsonrpc": "2.0"'],
    ["a numeric method", '{"jsonrpc":"2.0","id":1,"method":5}', '"method" must be a string'],
    ["an object id", '{"jsonrpc":"2.0","id":{},"method":"ping"}', '"id" must be a string or a number'],
    ["an empty batch", "[]", "batch must not be empty"],
    ["a bad batch item", '[{"jsonrpc":"2.0","id":1,"method":"ping"}, 7]', "batch item 1"],
  ])("answers %s with 400 and -32600", async (_name, body, message) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(-32600);
    expect(res.json.error.message).toContain(message);
    expect(upstream.received).toHaveLength(0);
  });

  it("answers a foreign Origin with 403", async () => {
    const res = await post(JSON.stringify(initialize), { Origin: "https://evil.example" });
    expect(res.status).toBe(403);
    expect(res.json.error.message).toContain("https://evil.example");
    expect(upstream.received).toHaveLength(0);
  });

  it("answers a non-loopback Host with 403 while serving locally", async () => {
    const body = JSON.stringify(initialize);
    const headers = { "Content-Type": "application/json", Accept: ACCEPT };
    const rebound = await rawRequest(proxy.url, {
      method: "POST",
      headers: { ...headers, Host: "rebind.attacker.example" },
      body,
    });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error.message).toContain("rebind.attacker.example");
    expect(upstream.received).toHaveLength(0);

    const local = await rawRequest(proxy.url, {
      method: "POST",
      headers: { ...headers, Host: "localhost" },
      body,
    });
    expect(local.status).toBe(200);
    expect(upstream.received).toHaveLength(1);
  });

  it("answers PUT with 405 and an Allow header", async () => {
    const response = await fetch(proxy.url, { method: "PUT", body: "{}" });
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toContain("POST");
    expect(((await response.json()) as RpcErrorBody).error.code).toBe(-32600);
    expect(upstream.received).toHaveLength(0);
  });
});

describe("upstream failures become clear answers", () => {
  it("answers 504 when the upstream is slower than UPSTREAM_TIMEOUT_MS", async () => {
    const slowProxy = await startProxy({ UPSTREAM_URL: upstream.url, UPSTREAM_TIMEOUT_MS: "300" });
    try {
      upstream.reply(() => {
        /* never answers */
      });
      const started = Date.now();
      const response = await fetch(slowProxy.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: ACCEPT },
        body: JSON.stringify(initialize),
      });
      const json = (await response.json()) as RpcErrorBody;
      expect(response.status).toBe(504);
      expect(json.error.code).toBe(-32603);
      expect(json.id).toBe(1);
      expect(json.error.message).toContain("300 ms");
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await slowProxy.dispose();
    }
  });

  it("answers 502 when the upstream refuses connections", async () => {
    const dead = await startCountingUpstream();
    const deadUrl = dead.url;
    await dead.close();
    const deadProxy = await startProxy({ UPSTREAM_URL: deadUrl });
    try {
      const response = await fetch(deadProxy.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: ACCEPT },
        body: JSON.stringify(initialize),
      });
      const json = (await response.json()) as RpcErrorBody;
      expect(response.status).toBe(502);
      expect(json.error.code).toBe(-32603);
      expect(json.error.message).toContain("could not be reached");
    } finally {
      await deadProxy.dispose();
    }
  });
});
