/**
 * The embedded demo upstream (DESIGN §6): a Durable Object serving the broker-admin MCP server
 * over Streamable HTTP, so `npm start` has something to show without a second process. The world
 * (brokers, users) is kept in the object's storage and persists for the run; sessions live in
 * memory, and a session lost to eviction answers 404 so the client re-initializes (MCP spec).
 */
import { DurableObject } from "cloudflare:workers";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { Env } from "../env.ts";
import { seedWorld, type World } from "./brokers.ts";
import { createDemoServer, type WorldStore } from "./server.ts";

const WORLD_KEY = "world";

export class DemoUpstream extends DurableObject<Env> {
  #world: World = seedWorld();
  #sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      this.#world = (await ctx.storage.get<World>(WORLD_KEY)) ?? seedWorld();
    });
  }

  override async fetch(request: Request): Promise<Response> {
    const sessionId = request.headers.get("Mcp-Session-Id");
    if (sessionId !== null) {
      const transport = this.#sessions.get(sessionId);
      if (!transport) {
        return Response.json(
          { jsonrpc: "2.0", id: null, error: { code: -32001, message: "Session not found" } },
          { status: 404 },
        );
      }
      return transport.handleRequest(request);
    }
    if (request.method !== "POST") {
      return Response.json(
        {
          jsonrpc: "2.0",
          id: null,
          error: { code: -32000, message: "Bad Request: Mcp-Session-Id header is required" },
        },
        { status: 400 },
      );
    }
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (id) => {
        this.#sessions.set(id, transport);
      },
      onsessionclosed: (id) => {
        this.#sessions.delete(id);
      },
    });
    await createDemoServer(this.#store()).connect(transport);
    return transport.handleRequest(request);
  }

  #store(): WorldStore {
    return {
      read: () => this.#world,
      update: async (change) => {
        change(this.#world);
        await this.ctx.storage.put(WORLD_KEY, this.#world);
      },
    };
  }
}
