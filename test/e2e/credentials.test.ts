/**
 * DESIGN §2 (identify), §6 and §7: whose credentials cross the proxy. With UPSTREAM_AUTHORIZATION
 * the proxy's credential replaces the agent's, and neither side learns the other's; with neither
 * AGENT_KEYS nor UPSTREAM_AUTHORIZATION the agent's OAuth flow with the upstream passes untouched.
 * Every case is checked against a counting upstream that records every request it receives.
 */
import { createHash, randomBytes } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunningProxy, startProxy } from "./harness.ts";
import { type CountingUpstream, startCountingUpstream } from "./upstream.ts";

const ACCEPT = "application/json, text/event-stream";
const UPSTREAM_SECRET = "Bearer upstream-secret";
const aliceKey = randomBytes(32).toString("base64url");
const ping = { jsonrpc: "2.0", id: 5, method: "ping" };
const initialize = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
};
const resourceMetadata =
  'Bearer resource_metadata="https://upstream.example/.well-known/oauth-protected-resource/mcp"';
const unauthorizedBody = JSON.stringify({
  error: "invalid_token",
  error_description: "The access token expired",
});

let upstream: CountingUpstream;
/** UPSTREAM_AUTHORIZATION + AGENT_KEYS: the proxy authenticates agents and the upstream. */
let injecting: RunningProxy;
/** Neither set: the agent's credentials and the upstream's challenges pass through. */
let passthrough: RunningProxy;

beforeAll(async () => {
  upstream = await startCountingUpstream({ stateless: true, json: true });
  const agentKeys = JSON.stringify({ alice: createHash("sha256").update(aliceKey).digest("hex") });
  [injecting, passthrough] = await Promise.all([
    startProxy(
      { UPSTREAM_URL: upstream.url },
      { UPSTREAM_AUTHORIZATION: UPSTREAM_SECRET, AGENT_KEYS: agentKeys },
    ),
    startProxy({ UPSTREAM_URL: upstream.url }),
  ]);
  // The first request to a fresh worker is slow; keep that out of the tests.
  await Promise.all([fetch(new URL("/healthz", injecting.url)), fetch(new URL("/healthz", passthrough.url))]);
});
afterAll(async () => {
  await Promise.all([injecting?.dispose(), passthrough?.dispose()]);
  await upstream?.close();
});
beforeEach(() => {
  upstream.received.length = 0;
  upstream.reply(undefined);
});

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: ACCEPT, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** The upstream answers every request with an OAuth challenge. */
function challengeEveryRequest() {
  upstream.reply((_req, res) => {
    res.writeHead(401, { "WWW-Authenticate": resourceMetadata, "Content-Type": "application/json" });
    res.end(unauthorizedBody);
  });
}

describe("with UPSTREAM_AUTHORIZATION and AGENT_KEYS", () => {
  it("sends the proxy's credential upstream and never the agent's key", async () => {
    const transport = new StreamableHTTPClientTransport(new URL(injecting.url), {
      requestInit: { headers: { Authorization: `Bearer ${aliceKey}` } },
    });
    const client = new Client({ name: "alice-agent", version: "1.0.0" });
    await client.connect(transport);
    const result = await client.callTool({ name: "echo", arguments: { message: "from alice" } });
    await client.close();

    expect(result.content).toEqual([{ type: "text", text: "echo: from alice" }]);
    expect(upstream.toolCalls()).toEqual(["echo"]);
    expect(upstream.received.length).toBeGreaterThanOrEqual(3);
    for (const request of upstream.received) expect(request.headers.authorization).toBe(UPSTREAM_SECRET);
    // Not in any header, not in any body, in any request the upstream saw.
    expect(JSON.stringify(upstream.received)).not.toContain(aliceKey);
  });

  it.each([
    ["a wrong key", { Authorization: `Bearer ${randomBytes(32).toString("base64url")}` }],
    ["no key", {}],
    ["a key in the wrong scheme", { Authorization: `Basic ${aliceKey}` }],
  ])("refuses %s with 401 and WWW-Authenticate, forwarding nothing", async (_name, headers) => {
    const response = await post(injecting.url, initialize, headers);
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toBe('Bearer realm="mcp-warden"');
    expect(JSON.parse(response.body).error.code).toBe(-32600);
    expect(upstream.received).toHaveLength(0);
  });

  it("turns an upstream 401 into a 502 about the proxy's credentials, hiding the upstream's challenge", async () => {
    challengeEveryRequest();
    const response = await post(injecting.url, ping, { Authorization: `Bearer ${aliceKey}` });

    expect(response.status).toBe(502);
    expect(response.headers.get("WWW-Authenticate")).toBeNull();
    const json = JSON.parse(response.body);
    expect(json.id).toBe(5);
    expect(json.error.code).toBe(-32603);
    expect(json.error.message).toContain("refused the proxy's credentials");
    expect(json.error.message).toContain("UPSTREAM_AUTHORIZATION");
    expect(response.body).not.toContain("resource_metadata");
    expect(response.body).not.toContain("invalid_token");
    // It was the upstream that refused: the request reached it, with the proxy's credential.
    expect(upstream.received).toHaveLength(1);
    expect(upstream.received[0]?.headers.authorization).toBe(UPSTREAM_SECRET);
  });
});

describe("with neither AGENT_KEYS nor UPSTREAM_AUTHORIZATION", () => {
  it("passes the upstream's 401, WWW-Authenticate and body to the client untouched", async () => {
    challengeEveryRequest();
    const response = await post(passthrough.url, initialize);

    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toBe(resourceMetadata);
    expect(response.headers.get("Content-Type")).toBe("application/json");
    expect(response.body).toBe(unauthorizedBody);
    expect(upstream.received).toHaveLength(1);
  });

  it("forwards the client's own Authorization header unchanged", async () => {
    const token = "Bearer client-oauth-token.with-dots_and-dashes";
    const response = await post(passthrough.url, ping, { Authorization: token });

    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ jsonrpc: "2.0", id: 5, result: {} });
    expect(upstream.received).toHaveLength(1);
    expect(upstream.received[0]?.headers.authorization).toBe(token);
  });
});

describe("OAuth discovery through the proxy", () => {
  it("forwards the protected-resource metadata request to the upstream's own path when credentials pass through", async () => {
    const metadata = {
      resource: "https://upstream.example/mcp",
      authorization_servers: ["https://auth.example"],
    };
    upstream.reply((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(metadata));
    });
    const response = await fetch(new URL("/.well-known/oauth-protected-resource/mcp", passthrough.url));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(metadata);
    expect(upstream.received.map((request) => [request.method, request.path])).toEqual([
      ["GET", "/.well-known/oauth-protected-resource/mcp"],
    ]);

    upstream.received.length = 0;
    const server = await fetch(new URL("/.well-known/oauth-authorization-server", passthrough.url));
    expect(server.status).toBe(200);
    await server.body?.cancel();
    expect(upstream.received.map((request) => request.path)).toEqual([
      "/.well-known/oauth-authorization-server",
    ]);
  });

  it("does not advertise the upstream's OAuth server when the proxy owns authentication", async () => {
    const response = await fetch(new URL("/.well-known/oauth-protected-resource/mcp", injecting.url));
    expect(response.status).toBe(404);
    await response.body?.cancel();
    expect(upstream.received).toHaveLength(0);
  });
});
