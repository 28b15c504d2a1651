/**
 * DESIGN §3, transparency: the official SDK client talks to `@modelcontextprotocol/server-everything`
 * through the real proxy in workerd, and every protocol feature that crosses it — the session,
 * progress, server-to-client requests, the GET stream, logging, DELETE — works as if the proxy
 * were not there. A recording `fetch` under the client shows what crossed the wire.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  type ClientCapabilities,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LATEST_PROTOCOL_VERSION,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  BOUND_UUID,
  type Everything,
  type RunningProxy,
  rawRequest,
  startEverything,
  startProxy,
  upstreamIdOf,
} from "./harness.ts";

/** One HTTP exchange between the SDK client and the proxy, as the client's `fetch` saw it. */
interface Exchange {
  method: string;
  requestHeaders: Headers;
  requestBody: string | undefined;
  /** 0 until the response headers arrive (the request is recorded when it is sent). */
  status: number;
  responseHeaders: Headers;
  /** For a GET (the server-to-client stream): every byte read from it so far. */
  stream: string;
}

interface Connection {
  client: Client;
  transport: StreamableHTTPClientTransport;
  exchanges: Exchange[];
  /** Resolves when the client's GET stream has been answered 200 (the SDK opens it after `initialized`). */
  streamOpened: Promise<Exchange>;
}

let everything: Everything;
let proxy: RunningProxy;
const open: Connection[] = [];

beforeAll(async () => {
  everything = await startEverything();
  proxy = await startProxy({ UPSTREAM_URL: everything.url });
  // The first request to a fresh worker is slow; keep that out of the timed tests.
  await fetch(new URL("/healthz", proxy.url));
});
afterAll(async () => {
  await proxy?.dispose();
  await everything?.close();
});
afterEach(async () => {
  // DELETE each session so server-everything stops its per-session timers (logging, updates).
  for (const { client, transport } of open.splice(0)) {
    await transport.terminateSession().catch(() => {});
    await client.close();
  }
});

/** Connects an SDK client to the proxy through a `fetch` that records every exchange. */
async function connect(capabilities: ClientCapabilities = {}): Promise<Connection> {
  const exchanges: Exchange[] = [];
  let opened: (exchange: Exchange) => void = () => {};
  const streamOpened = new Promise<Exchange>((resolve) => {
    opened = resolve;
  });
  const recordingFetch = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const exchange: Exchange = {
      method: init?.method ?? "GET",
      requestHeaders: new Headers(init?.headers),
      requestBody: typeof init?.body === "string" ? init.body : undefined,
      status: 0,
      responseHeaders: new Headers(),
      stream: "",
    };
    exchanges.push(exchange);
    const response = await fetch(url, init);
    exchange.status = response.status;
    exchange.responseHeaders = response.headers;
    if (exchange.method !== "GET" || !response.ok || response.body === null) return response;
    const [forClient, forTest] = response.body.tee();
    void (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of forTest) exchange.stream += decoder.decode(chunk, { stream: true });
      } catch {
        // The client closed the stream.
      }
    })();
    opened(exchange);
    return new Response(forClient, { status: response.status, headers: response.headers });
  };
  const transport = new StreamableHTTPClientTransport(new URL(proxy.url), { fetch: recordingFetch });
  const client = new Client({ name: "transparency-test", version: "1.0.0" }, { capabilities });
  await client.connect(transport);
  const connection = { client, transport, exchanges, streamOpened };
  open.push(connection);
  return connection;
}

/** The text of a tool result's content blocks, one per line. */
const texts = (result: unknown) =>
  ((result as { content: Array<{ text?: string }> }).content ?? [])
    .map((block) => block.text ?? "")
    .join("\n");

describe("initialize and the session", () => {
  it("hands the client the upstream's session id and the negotiated protocol version", async () => {
    const { client, transport, exchanges } = await connect();
    const sessionId = transport.sessionId;
    // The client holds the upstream's id bound to its principal; the upstream sees only its own.
    expect(sessionId).toMatch(BOUND_UUID);
    expect(transport.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
    expect(client.getServerVersion()?.name).toBe("mcp-servers/everything");

    const initialize = exchanges[0];
    expect(initialize?.status).toBe(200);
    expect(initialize?.responseHeaders.get("Mcp-Session-Id")).toBe(sessionId);
    // Every later request carries the session and the negotiated version back through the proxy.
    for (const later of exchanges.slice(1)) {
      expect(later.requestHeaders.get("Mcp-Session-Id")).toBe(sessionId);
      expect(later.requestHeaders.get("MCP-Protocol-Version")).toBe(LATEST_PROTOCOL_VERSION);
    }

    // The upstream itself knows the id (it answers 400 to one it never issued).
    const ping = (id: string) =>
      rawRequest(everything.url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json, text/event-stream",
          "Mcp-Session-Id": id,
          "MCP-Protocol-Version": LATEST_PROTOCOL_VERSION,
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "ping" }),
      });
    expect((await ping(upstreamIdOf(sessionId))).status).toBe(200);
    expect((await ping("00000000-0000-0000-0000-000000000000")).status).toBe(400);
  });
});

describe("tools", () => {
  it("lists the upstream's tools and returns its exact results", async () => {
    const { client } = await connect();
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(
      expect.arrayContaining([
        "echo",
        "get-sum",
        "trigger-long-running-operation",
        "toggle-simulated-logging",
      ]),
    );
    expect(tools.find((tool) => tool.name === "get-sum")?.inputSchema.required).toEqual(["a", "b"]);

    const echo = await client.callTool({ name: "echo", arguments: { message: "héllo through the proxy ✓" } });
    expect(echo.content).toEqual([{ type: "text", text: "Echo: héllo through the proxy ✓" }]);
    const sum = await client.callTool({ name: "get-sum", arguments: { a: 2, b: 40 } });
    expect(sum.content).toEqual([{ type: "text", text: "The sum of 2 and 40 is 42." }]);
  });
});

describe("progress", () => {
  it("delivers each progress notification as the upstream sends it, before the result", async () => {
    const { client } = await connect();
    const duration = 1.5;
    const steps = 3;
    const stepMs = (duration / steps) * 1000;
    const progress: Array<{ progress: number; total?: number; at: number }> = [];
    const result = await client.callTool(
      { name: "trigger-long-running-operation", arguments: { duration, steps } },
      undefined,
      { onprogress: (p) => void progress.push({ progress: p.progress, total: p.total, at: Date.now() }) },
    );
    const resultAt = Date.now();

    expect(texts(result)).toBe(
      `Long running operation completed. Duration: ${duration} seconds, Steps: ${steps}.`,
    );
    expect(progress.map(({ progress, total }) => ({ progress, total }))).toEqual([
      { progress: 1, total: 3 },
      { progress: 2, total: 3 },
      { progress: 3, total: 3 },
    ]);
    // The upstream waits two more steps (1,000 ms) after the first notification; a buffering
    // proxy would deliver all three with the result, ~0 ms apart. Half of each gap is required,
    // which leaves room for a loaded machine's scheduling without letting buffering pass.
    const firstProgress = progress[0]?.at ?? resultAt;
    expect(resultAt - firstProgress).toBeGreaterThanOrEqual((duration * 1000 - stepMs) / 2);
    expect((progress[1]?.at ?? resultAt) - firstProgress).toBeGreaterThanOrEqual(stepMs / 2);
  });
});

describe("server-to-client requests", () => {
  it("carries a sampling request to the client and its answer back to the upstream", async () => {
    const { client, exchanges } = await connect({ sampling: {} });
    const seen: string[] = [];
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      const content = request.params.messages[0]?.content;
      seen.push(content && "text" in content ? String(content.text) : "");
      return {
        model: "canned-model",
        role: "assistant",
        content: { type: "text", text: "canned answer from the client" },
      };
    });
    const result = await client.callTool({
      name: "trigger-sampling-request",
      arguments: { prompt: "what is 6 x 7?", maxTokens: 20 },
    });

    expect(seen).toEqual(["Resource trigger-sampling-request context: what is 6 x 7?"]);
    expect(texts(result)).toContain('"text": "canned answer from the client"');
    expect(texts(result)).toContain('"model": "canned-model"');
    // The client's answer was POSTed through the proxy, which passed the upstream's 202 back.
    const answer = exchanges.find((exchange) =>
      exchange.requestBody?.includes("canned answer from the client"),
    );
    expect(answer?.method).toBe("POST");
    // The tool result can overtake the 202 for the answer: both come from the upstream at once.
    await vi.waitFor(() => expect(answer?.status).toBe(202));
  });

  it("carries an elicitation request to the client and its answer back to the upstream", async () => {
    const { client, exchanges } = await connect({ elicitation: { form: {} } });
    const messages: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      messages.push(request.params.message);
      return { action: "accept", content: { name: "Ada Lovelace", check: true, integer: 7 } };
    });
    const result = await client.callTool({ name: "trigger-elicitation-request", arguments: {} });

    expect(messages).toEqual(["Please provide inputs for the following fields:"]);
    const text = texts(result);
    expect(text).toContain("✅ User provided the requested information!");
    expect(text).toContain("- Name: Ada Lovelace");
    expect(text).toContain("- Agreed to terms: true");
    expect(text).toContain("- Favorite Integer: 7");
    const answer = exchanges.find((exchange) => exchange.requestBody?.includes("Ada Lovelace"));
    expect(answer?.method).toBe("POST");
    // The tool result can overtake the 202 for the answer: both come from the upstream at once.
    await vi.waitFor(() => expect(answer?.status).toBe(202));
  });
});

describe("the GET stream", () => {
  it("delivers a subscribed resource's update on the GET stream", { timeout: 15_000 }, async () => {
    const { client, transport, streamOpened } = await connect();
    const uri = "demo://resource/dynamic/text/1";
    const updated = new Promise<string>((resolve) => {
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => resolve(n.params.uri));
    });
    const stream = await streamOpened;
    expect(stream.requestHeaders.get("Accept")).toBe("text/event-stream");
    expect(stream.requestHeaders.get("Mcp-Session-Id")).toBe(transport.sessionId);
    expect(stream.responseHeaders.get("Content-Type")).toContain("text/event-stream");

    await client.subscribeResource({ uri });
    const toggled = await client.callTool({ name: "toggle-subscriber-updates", arguments: {} });
    expect(texts(toggled)).toContain(
      `Started simulated resource updated notifications for session ${upstreamIdOf(transport.sessionId)}`,
    );

    expect(await updated).toBe(uri);
    // It came on the GET stream: the upstream sends notifications unrelated to a request there.
    await vi.waitFor(() => expect(stream.stream).toContain('"method":"notifications/resources/updated"'));
    expect(stream.stream).toContain(`"uri":"${uri}"`);
  });

  it("delivers log messages at the level the client set", async () => {
    const { client, transport, streamOpened } = await connect();
    const stream = await streamOpened;
    const logged: Array<{ level: string; data: unknown }> = [];
    let onLog: () => void = () => {};
    const firstLog = new Promise<void>((resolve) => {
      onLog = resolve;
    });
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logged.push({ level: n.params.level, data: n.params.data });
      onLog();
    });
    await client.setLoggingLevel("debug");
    const toggled = await client.callTool({ name: "toggle-simulated-logging", arguments: {} });
    expect(texts(toggled)).toContain(
      `Started simulated, random-leveled logging for session ${upstreamIdOf(transport.sessionId)}`,
    );

    await firstLog;
    expect(logged[0]?.level).toMatch(/^(debug|info|notice|warning|error|critical|alert|emergency)$/);
    expect(String(logged[0]?.data)).toContain(`SessionId ${upstreamIdOf(transport.sessionId)}`);
    await vi.waitFor(() => expect(stream.stream).toContain('"method":"notifications/message"'));
  });
});

describe("DELETE ends the session", () => {
  it("forwards DELETE, then passes the upstream's answer to the dead session through unchanged", async () => {
    const { transport, exchanges } = await connect();
    const sessionId = transport.sessionId as string;
    await transport.terminateSession();
    expect(transport.sessionId).toBeUndefined();
    const deleted = exchanges.find((exchange) => exchange.method === "DELETE");
    expect(deleted?.requestHeaders.get("Mcp-Session-Id")).toBe(sessionId);
    expect(deleted?.status).toBe(200);

    const listTools = (url: string) =>
      rawRequest(url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json, text/event-stream",
          "Mcp-Session-Id": sessionId,
          "MCP-Protocol-Version": LATEST_PROTOCOL_VERSION,
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/list" }),
      });
    const viaProxy = await listTools(proxy.url);
    const direct = await listTools(everything.url);
    // server-everything answers 400 (not the spec's 404) for an unknown session; the proxy must
    // neither "fix" nor replace that answer.
    expect(direct.status).toBe(400);
    expect(viaProxy.status).toBe(direct.status);
    expect(viaProxy.headers["content-type"]).toBe(direct.headers["content-type"]);
    expect(JSON.parse(viaProxy.body)).toEqual(JSON.parse(direct.body));
    expect(JSON.parse(viaProxy.body).error.message).toBe("Bad Request: No valid session ID provided");
  });
});
