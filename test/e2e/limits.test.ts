/**
 * Rate limits and session ownership, end to end: the real proxy in workerd with the demo policy,
 * the limiter Durable Objects, two authenticated agents, and a counting upstream.
 */
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunningProxy, startProxy } from "./harness.ts";
import { openSession, type RpcMessage, readMessages } from "./session.ts";
import { BROKER_TOOLS, type CountingUpstream, startCountingUpstream } from "./upstream.ts";

const key = () => randomBytes(32).toString("base64url");
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const alice = key();
const bob = key();
const AGENT_KEYS = JSON.stringify({ alice: sha256(alice), bob: sha256(bob) });
const auth = (secret: string) => ({ Authorization: `Bearer ${secret}` });

let upstream: CountingUpstream;
let proxy: RunningProxy;

beforeAll(async () => {
  upstream = await startCountingUpstream({ tools: BROKER_TOOLS });
  proxy = await startProxy({ UPSTREAM_URL: upstream.url }, { AGENT_KEYS });
});
afterAll(async () => {
  await proxy?.dispose();
  await upstream?.close();
});
beforeEach(() => {
  upstream.received.length = 0;
});

const call = (id: number, name: string, args: Record<string, unknown> = {}) =>
  JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });
const count = (name: string) => upstream.toolCalls().filter((tool) => tool === name).length;

describe("rate limits", () => {
  it("forwards exactly 10 of 60 concurrent create_user calls in one session", async () => {
    const session = await openSession(proxy.url, auth(alice));
    const responses = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        session
          .post(call(i + 1, "create_user", { brokerId: "orders", username: `u${i}` }))
          .then(readMessages),
      ),
    );
    const answers = responses.flat();
    expect(answers).toHaveLength(60);
    expect(count("create_user")).toBe(10);
    const refused = answers.filter((answer) => answer.result?.isError);
    expect(refused).toHaveLength(50);
    const sample = refused[0] as RpcMessage;
    expect(JSON.stringify(sample.result?.content)).toMatch(
      /at most 10 calls per minute per session.*Try again in \d+ s/,
    );
    const decision = sample.result?._meta?.["mcp-warden/decision"] as {
      action: string;
      retryAfterSeconds: number;
    };
    expect(decision.action).toBe("rate_limited");
    expect(decision.retryAfterSeconds).toBeGreaterThan(0);
    expect(decision.retryAfterSeconds).toBeLessThanOrEqual(60);

    // Another session of the same agent has its own budget (per: session).
    const second = await openSession(proxy.url, auth(alice));
    const [fresh] = await readMessages(
      await second.post(call(99, "create_user", { brokerId: "orders", username: "x" })),
    );
    expect(fresh?.result?.isError).toBeFalsy();
    expect(count("create_user")).toBe(11);
  });

  it("counts per agent across sessions, and per argument value", async () => {
    const first = await openSession(proxy.url, auth(alice));
    const second = await openSession(proxy.url, auth(alice));
    for (let i = 0; i < 7; i++) {
      const session = i % 2 === 0 ? first : second;
      await readMessages(
        await session.post(call(i, "delete_user", { brokerId: "orders", username: `t${i}` })),
      );
    }
    expect(count("delete_user")).toBe(5); // 5 per hour per agent
    const bobs = await openSession(proxy.url, auth(bob));
    await readMessages(await bobs.post(call(1, "delete_user", { brokerId: "orders", username: "b" })));
    expect(count("delete_user")).toBe(6);

    upstream.received.length = 0;
    for (let i = 0; i < 4; i++) {
      await readMessages(
        await first.post(call(i, "update_broker_config", { brokerId: "orders", key: "k", value: `${i}` })),
      );
    }
    await readMessages(
      await bobs.post(call(9, "update_broker_config", { brokerId: "billing", key: "k", value: "v" })),
    );
    expect(upstream.calls().map((c) => c.arguments.brokerId)).toEqual([
      "orders",
      "orders",
      "orders",
      "billing",
    ]);
  });
});

describe("sessions belong to the agent that opened them", () => {
  it("answers 404 to another agent presenting the session id, and forwards nothing", async () => {
    const session = await openSession(proxy.url, auth(alice));
    expect(session.id).toMatch(/\.[A-Za-z0-9_-]{22}$/);
    upstream.received.length = 0;
    const stolen = await session.post(
      call(1, "create_user", { brokerId: "orders", username: "evil" }),
      auth(bob),
    );
    expect(stolen.status).toBe(404);
    expect(((await stolen.json()) as RpcMessage).error?.message).toBe("Session not found");
    const forged = await session.post(call(2, "list_brokers"), {
      ...auth(alice),
      "Mcp-Session-Id": "made-up.AAAAAAAAAAAAAAAAAAAAAA",
    });
    expect(forged.status).toBe(404);
    expect(upstream.received).toHaveLength(0);

    // The owner still works, and the upstream sees its own session id, not the bound one.
    const own = await session.post(call(3, "list_brokers"));
    expect(own.status).toBe(200);
    await own.body?.cancel();
    const upstreamId = (session.id as string).slice(0, (session.id as string).lastIndexOf("."));
    expect(upstream.received.at(-1)?.headers["mcp-session-id"]).toBe(upstreamId);
  });

  it("refuses a request without a valid agent key with 401 and forwards nothing", async () => {
    const response = await fetch(proxy.url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        ...auth("wrong"),
      },
      body: call(1, "list_brokers"),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toContain("Bearer");
    expect(upstream.received).toHaveLength(0);
  });
});

describe("limits from the environment", () => {
  it("replaces a rule's limit with RATE_LIMIT_<ID>", async () => {
    const bumped = await startProxy({ UPSTREAM_URL: upstream.url, RATE_LIMIT_CREATE_USER: "2/60s" });
    try {
      const session = await openSession(bumped.url);
      const answers = [];
      for (let i = 0; i < 3; i++) {
        answers.push(
          ...(await readMessages(
            await session.post(call(i, "create_user", { brokerId: "o", username: `${i}` })),
          )),
        );
      }
      expect(answers.map((answer) => answer.result?.isError === true)).toEqual([false, false, true]);
      expect(JSON.stringify(answers[2]?.result?.content)).toContain("at most 2 calls per minute");
    } finally {
      await bumped.dispose();
    }
  });

  it("fails closed on a malformed RATE_LIMIT_<ID>, naming the variable", async () => {
    const broken = await startProxy({ UPSTREAM_URL: upstream.url, RATE_LIMIT_CREATE_USER: "lots" });
    try {
      const response = await fetch(broken.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
        body: call(1, "list_brokers"),
      });
      expect(response.status).toBe(500);
      const body = (await response.json()) as RpcMessage;
      expect(body.error?.code).toBe(-32603);
      expect(body.error?.message).toContain("RATE_LIMIT_CREATE_USER");
      expect(upstream.received).toHaveLength(0);
    } finally {
      await broken.dispose();
    }
  });
});
