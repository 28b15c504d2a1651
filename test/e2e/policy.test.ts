/**
 * The policy, end to end: the real proxy in workerd with the demo policy (policies/demo.yaml), the
 * official SDK client, and a counting upstream exposing the demo's tool names. Refused calls must
 * never arrive upstream, whatever the encoding; allowed ones must arrive exactly as judged.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunningProxy, startProxy } from "./harness.ts";
import { type McpSession, openSession } from "./session.ts";
import { BROKER_TOOLS, type CountingUpstream, startCountingUpstream } from "./upstream.ts";

let upstream: CountingUpstream;
let proxy: RunningProxy;
let session: McpSession;

beforeAll(async () => {
  upstream = await startCountingUpstream({ tools: BROKER_TOOLS });
  proxy = await startProxy({ UPSTREAM_URL: upstream.url });
  session = await openSession(proxy.url);
});
afterAll(async () => {
  await proxy?.dispose();
  await upstream?.close();
});
beforeEach(() => {
  upstream.received.length = 0;
});

const call = (id: number | string, name: string, args: Record<string, unknown> = {}) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args },
});

describe("decisions through the SDK client", () => {
  let client: Client;
  beforeAll(async () => {
    client = new Client({ name: "policy-e2e", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url)));
  });
  afterAll(() => client?.close());

  it("leaves hidden tools out of tools/list", async () => {
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toContain("list_brokers");
    expect(names).toContain("delete_broker"); // denied, but hide_denied is false
    expect(names).not.toContain("internal_debug_dump");
  });

  it("answers a denied call with a readable isError result and never forwards it", async () => {
    const result = await client.callTool({ name: "delete_broker", arguments: { brokerId: "orders" } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain("Deleting brokers is not allowed for agents");
    expect(result._meta?.["mcp-warden/decision"]).toMatchObject({ action: "deny", ruleId: "DELETE_BROKER" });
    expect(upstream.toolCalls()).toEqual([]);
  });

  it("answers a hidden tool exactly like an unknown one and never forwards it", async () => {
    await expect(client.callTool({ name: "internal_debug_dump", arguments: {} })).rejects.toThrow(
      /-32602.*Unknown tool: internal_debug_dump/,
    );
    expect(upstream.toolCalls()).toEqual([]);
  });

  it("refuses a call that requires approval, saying a human must approve it", async () => {
    const result = await client.callTool({ name: "reboot_broker", arguments: { brokerId: "orders" } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain("requires a human's approval");
    expect(upstream.toolCalls()).toEqual([]);
  });

  it("forwards an allowed call with its arguments unchanged", async () => {
    const args = {
      brokerId: "orders",
      options: { nested: [1, 2.5, { deep: "ü ✓" }], flag: false, none: null },
    };
    const result = await client.callTool({ name: "describe_broker", arguments: args });
    expect(result.isError).toBeFalsy();
    const received = upstream.calls();
    expect(received).toHaveLength(1);
    expect(received[0]).toEqual({ name: "describe_broker", arguments: args });
  });

  it("limits create_user to 10 per minute in the client's session and says when to retry", async () => {
    for (let i = 0; i < 10; i++) {
      const ok = await client.callTool({
        name: "create_user",
        arguments: { brokerId: "orders", username: `sdk${i}` },
      });
      expect(ok.isError).toBeFalsy();
    }
    const limited = await client.callTool({
      name: "create_user",
      arguments: { brokerId: "orders", username: "sdk10" },
    });
    expect(limited.isError).toBe(true);
    expect(JSON.stringify(limited.content)).toMatch(
      /Rate limit reached for create_user .*Try again in \d+ s/,
    );
    expect(limited._meta?.["mcp-warden/decision"]).toMatchObject({
      action: "rate_limited",
      ruleId: "CREATE_USER",
    });
    expect(upstream.toolCalls().filter((name) => name === "create_user")).toHaveLength(10);
  });

  it("applies conditions on arguments: deleting admin is denied, other users pass", async () => {
    const admin = await client.callTool({
      name: "delete_user",
      arguments: { brokerId: "orders", username: "admin" },
    });
    expect(admin.isError).toBe(true);
    expect(JSON.stringify(admin.content)).toContain("admin user cannot be deleted");
    const other = await client.callTool({
      name: "delete_user",
      arguments: { brokerId: "orders", username: "temp" },
    });
    expect(other.isError).toBeFalsy();
    expect(upstream.calls()).toEqual([
      { name: "delete_user", arguments: { brokerId: "orders", username: "temp" } },
    ]);
  });
});

describe("bypass attempts", () => {
  it("judges each call of a batch on its own and forwards only the allowed ones", async () => {
    const batch = [
      call(1, "list_brokers"),
      call(2, "delete_broker", { brokerId: "orders" }),
      call(3, "internal_debug_dump"),
      call(4, "reboot_broker", { brokerId: "orders" }),
      {
        jsonrpc: "2.0",
        method: "tools/call",
        params: { name: "delete_broker", arguments: { brokerId: "billing" } },
      },
    ];
    const response = await session.post(JSON.stringify(batch));
    expect(response.status).toBe(200);
    const answers = await session.messages(response);
    const byId = new Map(answers.map((answer) => [answer.id, answer]));
    expect([...byId.keys()].sort()).toEqual([1, 2, 3, 4]);
    expect(byId.get(1)?.result?.isError).toBeFalsy();
    expect(byId.get(2)?.result?.isError).toBe(true);
    expect(byId.get(3)?.error?.code).toBe(-32602);
    expect(byId.get(4)?.result?.isError).toBe(true);
    expect(upstream.toolCalls()).toEqual(["list_brokers"]);
  });

  it("answers a batch of refused calls without touching the upstream", async () => {
    const response = await session.post(
      JSON.stringify([call(1, "delete_broker"), call(2, "internal_debug_dump")]),
    );
    expect(response.status).toBe(200);
    expect(await session.messages(response)).toHaveLength(2);
    expect(upstream.received).toHaveLength(0);
  });

  it("drops a denied tools/call sent as a notification (202, nothing forwarded)", async () => {
    const notification = {
      jsonrpc: "2.0",
      method: "tools/call",
      params: { name: "delete_broker", arguments: {} },
    };
    const response = await session.post(JSON.stringify(notification));
    expect(response.status).toBe(202);
    expect(upstream.received).toHaveLength(0);
  });

  it("judges the name JSON.parse keeps when a key is duplicated, and forwards only that", async () => {
    const sneaky =
      '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"delete_broker","arguments":{"brokerId":"orders"},"name":"list_brokers"}}';
    const response = await session.post(sneaky);
    expect(response.status).toBe(200);
    expect(upstream.calls()).toEqual([{ name: "list_brokers", arguments: { brokerId: "orders" } }]);
    expect(upstream.received.map((request) => request.body).join("")).not.toContain("delete_broker");

    upstream.received.length = 0;
    const reversed =
      '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"list_brokers","arguments":{},"name":"delete_broker"}}';
    const refused = await session.messages(await session.post(reversed));
    expect(refused[0]?.result?.isError).toBe(true);
    expect(upstream.received).toHaveLength(0);
  });

  it("does not read names or arguments through __proto__", async () => {
    const viaProto =
      '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"__proto__":{"name":"list_brokers"}}}';
    const answers = await session.messages(await session.post(viaProto));
    expect(answers[0]?.error?.code).toBe(-32602);
    expect(answers[0]?.error?.message).toContain("params.name");
    expect(upstream.received).toHaveLength(0);

    // An own "__proto__" key in the arguments would become a prototype in an upstream that merges
    // them with Object.assign, and show it a username the policy never saw: refused outright.
    const protoArgs =
      '{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"delete_user","arguments":{"brokerId":"orders","__proto__":{"username":"admin"}}}}';
    const refused = await session.messages(await session.post(protoArgs));
    expect(refused[0]?.error?.code).toBe(-32602);
    expect(refused[0]?.error?.message).toContain("__proto__");
    expect(upstream.received).toHaveLength(0);
  });

  it("judges look-alike names by their exact code points, and NFKC variants by the stricter verdict", async () => {
    const cyrillic = "d\u0435lete_broker"; // Cyrillic "е": another tool, not delete_broker
    await session.post(JSON.stringify(call(11, cyrillic)));
    expect(upstream.toolCalls()).toEqual([cyrillic]);

    upstream.received.length = 0;
    const fullwidth = "\uff44\uff45\uff4c\uff45\uff54\uff45_broker"; // NFKC → delete_broker
    const answers = await session.messages(await session.post(JSON.stringify(call(12, fullwidth))));
    expect(answers[0]?.result?.isError).toBe(true);
    expect(upstream.received).toHaveLength(0);
  });

  it("refuses a request whose Mcp-Name header disagrees with the body (400, HeaderMismatch)", async () => {
    const response = await session.post(JSON.stringify(call(13, "delete_broker")), {
      "Mcp-Method": "tools/call",
      "Mcp-Name": "list_brokers",
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { id: number; error: { code: number; message: string } };
    expect(body.id).toBe(13);
    expect(body.error.code).toBe(-32020);
    expect(body.error.message).toContain("Mcp-Name");
    expect(upstream.received).toHaveLength(0);

    const method = await session.post(JSON.stringify(call(14, "list_brokers")), {
      "Mcp-Method": "tools/list",
    });
    expect(method.status).toBe(400);
    expect(upstream.received).toHaveLength(0);
  });

  it("accepts mirrored headers that agree with the body, base64-encoded names included", async () => {
    const name = "list_brokers";
    const ok = await session.post(JSON.stringify(call(15, name)), {
      "Mcp-Method": "tools/call",
      "Mcp-Name": name,
    });
    expect(ok.status).toBe(200);
    const encoded = `=?base64?${Buffer.from(name).toString("base64")}?=`;
    const ok2 = await session.post(JSON.stringify(call(16, name)), {
      "Mcp-Method": "tools/call",
      "Mcp-Name": encoded,
    });
    expect(ok2.status).toBe(200);
    expect(upstream.toolCalls()).toEqual([name, name]);
  });
});
