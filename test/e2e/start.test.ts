/**
 * The front door: `npm start` (scripts/start.mjs) serves the proxy in front of the embedded demo
 * upstream, and the official SDK client lists the demo's tools and calls them. State (brokers,
 * users) persists across calls and sessions during the run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./harness.ts";

let child: ChildProcess;
let url: string;

beforeAll(async () => {
  const port = await freePort();
  url = `http://localhost:${port}/mcp`;
  child = spawn(process.execPath, ["scripts/start.mjs"], {
    env: { ...process.env, PORT: String(port), UPSTREAM_URL: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not become ready:\n${output}`)), 45_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready on")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
});

async function connect(): Promise<Client> {
  const client = new Client({ name: "start-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

describe("npm start with no UPSTREAM_URL", () => {
  it("serves the demo broker-admin server at localhost/mcp to the SDK client", async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "list_brokers",
        "describe_broker",
        "create_user",
        "list_users",
        "delete_user",
        "reboot_broker",
        "delete_broker",
      ]),
    );
    const result = await client.callTool({ name: "list_brokers", arguments: {} });
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result.content)).toContain("b-1234-orders");
    await client.close();
  });

  it("reports health, the demo upstream and the policy hash", async () => {
    const response = await fetch(url.replace("/mcp", "/healthz"));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      ok: true,
      upstream: "demo",
      policy: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
  });

  it("keeps the demo's state across sessions during the run", async () => {
    const first = await connect();
    const username = `user-${Date.now()}`;
    const created = await first.callTool({
      name: "create_user",
      arguments: { brokerId: "orders", username },
    });
    expect(JSON.stringify(created.content)).toContain(`Created user ${username}`);
    await first.close();

    const second = await connect();
    const users = await second.callTool({ name: "list_users", arguments: { brokerId: "orders" } });
    expect(JSON.stringify(users.content)).toContain(username);
    await second.close();
  });
});
