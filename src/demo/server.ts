/**
 * The demo upstream's MCP server: the broker-admin tools, built with the official SDK. One
 * `McpServer` per session, all sharing the world held by the Durable Object.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { type Broker, findBroker, type World } from "./brokers.ts";

/** Access to the shared world: read it, or change it and persist the change. */
export interface WorldStore {
  read(): World;
  update(change: (world: World) => void): Promise<void>;
}

const text = (value: unknown): CallToolResult => ({
  content: [{ type: "text", text: typeof value === "string" ? value : JSON.stringify(value, null, 2) }],
});
const failure = (message: string): CallToolResult => ({
  isError: true,
  content: [{ type: "text", text: message }],
});
const summary = (broker: Broker) => ({
  id: broker.id,
  name: broker.name,
  engine: broker.engine,
  state: broker.state,
});

/** Builds an MCP server exposing the broker-admin tools over `store`. */
export function createDemoServer(store: WorldStore): McpServer {
  const server = new McpServer(
    { name: "demo-broker-admin", version: "1.0.0" },
    {
      capabilities: { logging: {} },
      instructions: "A simulated message-broker admin API (mcp-warden demo).",
    },
  );
  const brokerId = z.string().describe("Broker id (b-…) or name");

  server.registerTool(
    "list_brokers",
    { description: "List all message brokers", annotations: { readOnlyHint: true } },
    async () => text(store.read().brokers.map(summary)),
  );

  server.registerTool(
    "describe_broker",
    {
      description: "Show a broker's configuration and users",
      inputSchema: { brokerId },
      annotations: { readOnlyHint: true },
    },
    async (args) => {
      const broker = findBroker(store.read(), args.brokerId);
      return broker ? text(broker) : failure(`No broker ${args.brokerId}`);
    },
  );

  server.registerTool(
    "get_broker_metrics",
    {
      description: "Queue depth and message rates for a broker",
      inputSchema: { brokerId },
      annotations: { readOnlyHint: true },
    },
    async (args) => {
      const broker = findBroker(store.read(), args.brokerId);
      if (!broker) return failure(`No broker ${args.brokerId}`);
      const seed = [...broker.id].reduce((sum, ch) => sum + ch.charCodeAt(0), 0);
      return text({
        brokerId: broker.id,
        queueDepth: seed % 977,
        messagesInPerSecond: seed % 131,
        connections: broker.users.length * 7,
      });
    },
  );

  server.registerTool(
    "list_users",
    {
      description: "List the users of a broker",
      inputSchema: { brokerId },
      annotations: { readOnlyHint: true },
    },
    async (args) => {
      const broker = findBroker(store.read(), args.brokerId);
      return broker ? text(broker.users) : failure(`No broker ${args.brokerId}`);
    },
  );

  server.registerTool(
    "create_user",
    {
      description: "Create a user on a broker",
      inputSchema: { brokerId, username: z.string().min(1).max(64), console_access: z.boolean().optional() },
    },
    async (args) => {
      const broker = findBroker(store.read(), args.brokerId);
      if (!broker) return failure(`No broker ${args.brokerId}`);
      if (broker.users.includes(args.username))
        return failure(`User ${args.username} already exists on ${broker.id}`);
      await store.update((world) => findBroker(world, args.brokerId)?.users.push(args.username));
      return text(`Created user ${args.username} on ${broker.id}`);
    },
  );

  server.registerTool(
    "delete_user",
    {
      description: "Delete a user from a broker",
      inputSchema: { brokerId, username: z.string() },
      annotations: { destructiveHint: true },
    },
    async (args) => {
      const broker = findBroker(store.read(), args.brokerId);
      if (!broker?.users.includes(args.username))
        return failure(`No user ${args.username} on ${args.brokerId}`);
      await store.update((world) => {
        const target = findBroker(world, args.brokerId);
        if (target) target.users = target.users.filter((user) => user !== args.username);
      });
      return text(`Deleted user ${args.username} from ${broker.id}`);
    },
  );

  server.registerTool(
    "update_broker_config",
    {
      description: "Set one configuration value on a broker",
      inputSchema: { brokerId, key: z.string(), value: z.string() },
    },
    async (args) => {
      if (!findBroker(store.read(), args.brokerId)) return failure(`No broker ${args.brokerId}`);
      await store.update((world) => {
        const target = findBroker(world, args.brokerId);
        if (target) target.config[args.key] = args.value;
      });
      return text(`Set ${args.key}=${args.value} on ${args.brokerId}`);
    },
  );

  server.registerTool(
    "reboot_broker",
    {
      description: "Reboot a broker (reports progress)",
      inputSchema: { brokerId },
      annotations: { destructiveHint: true },
    },
    async (args, extra) => {
      if (!findBroker(store.read(), args.brokerId)) return failure(`No broker ${args.brokerId}`);
      const progressToken = extra._meta?.progressToken;
      const steps = ["stopping", "restarting", "running"];
      for (const [index, step] of steps.entries()) {
        if (progressToken !== undefined) {
          await extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken, progress: index + 1, total: steps.length, message: step },
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await store.update((world) => {
        const target = findBroker(world, args.brokerId);
        if (target) target.reboots += 1;
      });
      return text(`Rebooted ${args.brokerId}`);
    },
  );

  server.registerTool(
    "delete_broker",
    {
      description: "Delete a broker and all its data",
      inputSchema: { brokerId },
      annotations: { destructiveHint: true },
    },
    async (args) => {
      if (!findBroker(store.read(), args.brokerId)) return failure(`No broker ${args.brokerId}`);
      await store.update((world) => {
        world.brokers = world.brokers.filter(
          (broker) => broker.id !== args.brokerId && broker.name !== args.brokerId,
        );
      });
      return text(`Deleted broker ${args.brokerId}`);
    },
  );

  server.registerTool(
    "internal_debug_dump",
    {
      description: "Dump the service's internal state (for its developers)",
      annotations: { readOnlyHint: true },
    },
    async () => text(store.read()),
  );

  return server;
}
