/**
 * The response side in workerd: tools/list filtering (JSON and SSE), merged answers, `count:
 * success` refunds, and the decision log line.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { activePolicy } from "../../src/active-policy.ts";
import type { Env } from "../../src/env.ts";
import { answersResponse, mergeAnswers } from "../../src/http/answers.ts";
import { MAX_INSPECTED_BYTES } from "../../src/http/bounded.ts";
import { proxyKeys } from "../../src/keys/keys.ts";
import type { PlacedLimit } from "../../src/limiter/client.ts";
import { argumentsHash, logDecision } from "../../src/log.ts";
import type { Policy } from "../../src/policy/index.ts";
import { inspectToolsList } from "../../src/stages/inspect.ts";
import type { Refundable } from "../../src/stages/limits.ts";
import { settleRefunds } from "../../src/stages/settle.ts";

function demoPolicy(): Policy {
  const policy = activePolicy({} as Env);
  if (!policy.ok) throw new Error(policy.error);
  return policy.value;
}

/** The proxy's log-hashing key, as the pipeline gets it. */
async function logKey(): Promise<CryptoKey> {
  const keys = await proxyKeys(env);
  if (!keys.ok) throw new Error(keys.error);
  return keys.value.logs;
}

const toolsList = (id: number) => ({
  jsonrpc: "2.0",
  id,
  result: { tools: [{ name: "list_brokers" }, { name: "internal_debug_dump" }, { name: "create_user" }] },
});
const sse = (...messages: unknown[]) =>
  new Response(messages.map((message) => `event: message\ndata: ${JSON.stringify(message)}\n\n`).join(""), {
    headers: { "Content-Type": "text/event-stream" },
  });
const names = (message: { result: { tools: Array<{ name: string }> } }) =>
  message.result.tools.map((t) => t.name);

describe("tools/list filtering", () => {
  it("removes hidden tools from a JSON answer", async () => {
    const response = Response.json(toolsList(5));
    const filtered = await inspectToolsList(response, new Set([5]), demoPolicy(), "anonymous");
    expect(names(await filtered.json())).toEqual(["list_brokers", "create_user"]);
  });

  it("removes hidden tools from an SSE answer and passes other events byte for byte", async () => {
    const progress = {
      jsonrpc: "2.0",
      method: "notifications/message",
      params: { level: "info", data: "x" },
    };
    const response = sse(progress, toolsList(7));
    const filtered = await inspectToolsList(response, new Set([7]), demoPolicy(), "anonymous");
    const text = await filtered.text();
    const [first, second] = text.split("\n\n");
    expect(first).toBe(`event: message\ndata: ${JSON.stringify(progress)}`);
    expect(names(JSON.parse((second ?? "").replace("event: message\ndata: ", "")))).toEqual([
      "list_brokers",
      "create_user",
    ]);
  });

  it("filters any tool list replayed on the GET stream, whatever its id", async () => {
    const filtered = await inspectToolsList(sse(toolsList(99)), "any", demoPolicy(), "anonymous");
    const data = (await filtered.text()).replace("event: message\ndata: ", "").trim();
    expect(names(JSON.parse(data))).toEqual(["list_brokers", "create_user"]);
  });

  it("refuses a JSON tool list too large to inspect rather than pass it unfiltered", async () => {
    const padding = "x".repeat(MAX_INSPECTED_BYTES);
    const huge = Response.json({ ...toolsList(6), result: { ...toolsList(6).result, padding } });
    const refused = await inspectToolsList(huge, new Set([6]), demoPolicy(), "anonymous");
    expect(refused.status).toBe(502);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain("larger than");
  });

  it("leaves an answer to another request id alone", async () => {
    const body = JSON.stringify(toolsList(8));
    const filtered = await inspectToolsList(
      new Response(body, { headers: { "Content-Type": "application/json" } }),
      new Set([9]),
      demoPolicy(),
      "anonymous",
    );
    expect(await filtered.text()).toBe(body);
  });
});

describe("the proxy's own answers", () => {
  const denial = { jsonrpc: "2.0", id: 2, result: { isError: true, content: [] } };

  it("answers alone with JSON, or 202 when only notifications were refused", async () => {
    const alone = answersResponse([denial], false, "s-1.mac");
    expect(alone.headers.get("Mcp-Session-Id")).toBe("s-1.mac");
    expect(await alone.json()).toEqual(denial);
    expect(await answersResponse([denial], true, null).json()).toEqual([denial]);
    expect(answersResponse([], true, null).status).toBe(202);
  });

  it("joins a JSON batch answer and prepends to an SSE one", async () => {
    const upstream = { jsonrpc: "2.0", id: 1, result: {} };
    expect(await (await mergeAnswers(Response.json([upstream]), [denial])).json()).toEqual([
      upstream,
      denial,
    ]);
    const merged = await (await mergeAnswers(sse(upstream), [denial])).text();
    expect(merged.indexOf('"id":2')).toBeLessThan(merged.indexOf('"id":1'));
  });

  it("lets an upstream error status win over the proxy's answers", async () => {
    const notFound = new Response("{}", { status: 404 });
    expect((await mergeAnswers(notFound, [denial])).status).toBe(404);
  });
});

describe("count: success refunds", () => {
  const placed = (id: string): PlacedLimit[] => [
    { key: "session:s", rule: "R", max: 1, windowMs: 1000, reservation: `${id}:success` },
  ];

  it("refunds calls the upstream failed (isError or JSON-RPC error), not the ones that succeeded", async () => {
    const refunded: string[] = [];
    const pending: Refundable = new Map([
      [1, placed("a")],
      [2, placed("b")],
      [3, placed("c")],
    ]);
    const response = sse(
      { jsonrpc: "2.0", id: 1, result: { isError: true, content: [] } },
      { jsonrpc: "2.0", id: 2, result: { content: [] } },
      { jsonrpc: "2.0", id: 3, error: { code: -32000, message: "boom" } },
    );
    const settled = await settleRefunds(response, pending, (limits) =>
      refunded.push(limits[0]?.reservation ?? ""),
    );
    const text = await settled.text();
    expect(text).toContain('"id":2');
    expect(refunded).toEqual(["a:success", "c:success"]);
  });

  it("refunds every pending call when the upstream answers with an HTTP error", async () => {
    const refunded: string[] = [];
    await settleRefunds(new Response("", { status: 500 }), new Map([[1, placed("x")]]), (limits) =>
      refunded.push(limits[0]?.reservation ?? ""),
    );
    expect(refunded).toEqual(["x:success"]);
  });
});

describe("decision log", () => {
  afterEach(() => vi.restoreAllMocks());

  it("writes one JSON line with a hash of the arguments, never the arguments", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const key = await logKey();
    await logDecision(
      {
        principal: "alice",
        session: "s-1",
        tool: "create_user",
        action: "allow",
        ruleId: "CREATE_USER",
        policy: "abc",
        args: { password: "hunter2" },
        latencyMs: 1,
      },
      key,
    );
    expect(log).toHaveBeenCalledTimes(1);
    const line = String(log.mock.calls[0]?.[0]);
    expect(line).not.toContain("hunter2");
    expect(JSON.parse(line)).toMatchObject({
      event: "decision",
      principal: "alice",
      session: "s-1",
      tool: "create_user",
      action: "allow",
      ruleId: "CREATE_USER",
      policy: "abc",
      argsHash: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
  });
});

describe("the proxy's keys", () => {
  it("hashes arguments with a secret key: not the plain SHA-256 anyone could compute", async () => {
    const key = await logKey();
    const plain = await crypto.subtle.digest("SHA-256", new TextEncoder().encode('{"username":"admin"}'));
    const plainHex = [...new Uint8Array(plain).subarray(0, 8)]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    const hashed = await argumentsHash({ username: "admin" }, key);
    expect(hashed).toMatch(/^[0-9a-f]{16}$/);
    expect(hashed).not.toBe(plainHex);
    expect(await argumentsHash({ username: "admin" }, key)).toBe(hashed);
  });

  it("keeps one random secret in the Keyring, the same for every caller", async () => {
    const keyring = env.KEYRING.get(env.KEYRING.idFromName("proxy"));
    const [first, second] = await Promise.all([keyring.secret(), keyring.secret()]);
    expect(first).toBe(second);
    expect(atob(first)).toHaveLength(32);
  });
});
