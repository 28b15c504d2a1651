/**
 * A counting upstream for end-to-end tests: a real MCP server (the official SDK, Streamable HTTP
 * on loopback) that records every HTTP request it receives, so tests can assert what reached the
 * upstream — and what never did. Its behaviour can be bent per test (`stall`, `reply`).
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
  /** The parsed JSON body, when there was one. */
  json: unknown;
}

export interface CountingUpstream {
  url: string;
  received: ReceivedRequest[];
  /** The `tools/call` names received, in order (batches flattened). */
  toolCalls(): string[];
  /** The `tools/call` params received (name and arguments), in order. */
  calls(): Array<{ name: string; arguments: Record<string, unknown> }>;
  /** Replace the MCP server's answer with a custom one for every request from now on. */
  reply(handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined): void;
  close(): Promise<void>;
}

export interface UpstreamOptions {
  /** Stateless: no sessions, and GET answers 405 (as the SDK does without a session generator). */
  stateless?: boolean;
  /** Answer with JSON instead of SSE. */
  json?: boolean;
  /** Extra tools that accept any arguments and echo them back as JSON text. */
  tools?: readonly string[];
}

/** The demo broker-admin server's tool names, for running the demo policy against this upstream. */
export const BROKER_TOOLS = [
  "list_brokers",
  "describe_broker",
  "get_broker_metrics",
  "list_users",
  "create_user",
  "delete_user",
  "update_broker_config",
  "reboot_broker",
  "delete_broker",
  "internal_debug_dump",
] as const;

function buildServer(extraTools: readonly string[] = []): McpServer {
  const server = new McpServer(
    { name: "counting-upstream", version: "1.0.0" },
    { capabilities: { logging: {} } },
  );
  server.registerTool("echo", { inputSchema: { message: z.string() } }, async (args) => ({
    content: [{ type: "text", text: `echo: ${args.message}` }],
  }));
  server.registerTool("show_arguments", { inputSchema: z.object({}).passthrough() }, async (args) => ({
    content: [{ type: "text", text: JSON.stringify(args) }],
  }));
  for (const name of extraTools) {
    server.registerTool(name, { inputSchema: z.object({}).passthrough() }, async (args) => ({
      content: [{ type: "text", text: JSON.stringify(args) }],
    }));
  }
  server.registerTool("fail", {}, async () => ({
    isError: true,
    content: [{ type: "text", text: "failed" }],
  }));
  return server;
}

/** Starts a counting upstream on a free loopback port. */
export async function startCountingUpstream(options: UpstreamOptions = {}): Promise<CountingUpstream> {
  const received: ReceivedRequest[] = [];
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  let override: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;

  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    let json: unknown;
    try {
      json = body ? JSON.parse(body) : undefined;
    } catch {
      json = undefined;
    }
    received.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body, json });
    if (override) return override(req, res);

    if (options.stateless) {
      // The SDK's transport would open a standalone SSE stream even without sessions; a stateless
      // server that offers no server-to-client stream answers GET with 405 (MCP transports spec).
      if (req.method === "GET") {
        res.writeHead(405, { allow: "POST", "content-type": "application/json" });
        res.end(
          JSON.stringify({
            jsonrpc: "2.0",
            id: null,
            error: { code: -32000, message: "Method not allowed." },
          }),
        );
        return;
      }
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: options.json ?? false,
      });
      res.on("close", () => void transport.close());
      await buildServer(options.tools).connect(transport);
      return transport.handleRequest(req, res, json);
    }
    const sessionId = req.headers["mcp-session-id"];
    if (typeof sessionId === "string") {
      const transport = sessions.get(sessionId);
      if (!transport) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32001, message: "Session not found" } }),
        );
        return;
      }
      return transport.handleRequest(req, res, json);
    }
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: options.json ?? false,
      onsessioninitialized: (id) => void sessions.set(id, transport),
      onsessionclosed: (id) => void sessions.delete(id),
    });
    await buildServer(options.tools).connect(transport);
    return transport.handleRequest(req, res, json);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  type ToolCall = { name: string; arguments: Record<string, unknown> };
  const calls = (): ToolCall[] =>
    received.flatMap((request) => {
      const messages = Array.isArray(request.json) ? request.json : [request.json];
      return messages
        .filter((m): m is { method: string; params: ToolCall } => m?.method === "tools/call")
        .map((m) => m.params);
    });

  return {
    url: `http://127.0.0.1:${port}/mcp`,
    received,
    toolCalls: () => calls().map((call) => call.name),
    calls,
    reply: (handler) => {
      override = handler;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const transport of sessions.values()) void transport.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
