/**
 * The central invariant, as a property over random requests through the real POST pipeline in
 * workerd: no tools/call that the policy refuses (deny, hide, require_approval) ever reaches the
 * upstream, whatever the mix — batches, notifications, duplicate keys, look-alike names — and
 * every message that is forwarded is exactly the message that was judged.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { activePolicy } from "../../src/active-policy.ts";
import { readConfig } from "../../src/config.ts";
import type { Env } from "../../src/env.ts";
import { handlePost } from "../../src/pipeline.ts";
import { decide } from "../../src/policy/index.ts";

const UPSTREAM = "https://upstream.test/mcp";
const proxyEnv = { ...env, UPSTREAM_URL: UPSTREAM } as Env;
const policy = (() => {
  const result = activePolicy(proxyEnv);
  if (!result.ok) throw new Error(result.error);
  return result.value;
})();

const NAMES = [
  "list_brokers",
  "create_user",
  "delete_user",
  "delete_broker",
  "reboot_broker",
  "reboot_everything",
  "internal_debug_dump",
  "update_broker_config",
  "d\u0435lete_broker", // Cyrillic е
  "\uff44\uff45\uff4c\uff45\uff54\uff45_broker", // fullwidth: NFKC → delete_broker
  "internal_debug_dump\u200b", // zero-width space
  "DELETE_BROKER",
];
const name = fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 12 }));
const args = fc.record(
  { brokerId: fc.constantFrom("orders", "billing"), username: fc.constantFrom("admin", "temp", "ops") },
  { requiredKeys: [] },
);

interface Generated {
  text: string;
}
/** One tools/call as raw JSON text: sometimes a notification, sometimes with a duplicated "name". */
const rawCall = fc
  .record({
    id: fc.option(fc.nat({ max: 1_000 }), { nil: undefined }),
    first: name,
    second: fc.option(name),
    args,
  })
  .map(({ id, first, second, args: values }): Generated => {
    const idPart = id === undefined ? "" : `"id":${id},`;
    const duplicate = second === null ? "" : `,"name":${JSON.stringify(second)}`;
    return {
      text: `{"jsonrpc":"2.0",${idPart}"method":"tools/call","params":{"name":${JSON.stringify(first)},"arguments":${JSON.stringify(values)}${duplicate}}}`,
    };
  });
const otherMessage = fc.constantFrom<Generated>(
  { text: '{"jsonrpc":"2.0","id":"l","method":"tools/list"}' },
  { text: '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}' },
  { text: '{"jsonrpc":"2.0","id":"p","method":"ping"}' },
);
const body = fc.oneof(
  rawCall.map((call) => call.text),
  fc
    .array(fc.oneof({ weight: 4, arbitrary: rawCall }, otherMessage), { minLength: 1, maxLength: 6 })
    .map((items) => `[${items.map((item) => item.text).join(",")}]`),
);

/** The reference verdict: exact name and (if different) its NFKC form, strictest wins. */
function refused(tool: string, values: unknown): boolean {
  const forms = new Set([tool, tool.normalize("NFKC")]);
  return [...forms].some(
    (form) => decide(policy, { tool: form, args: values, agent: "anonymous" }).action !== "allow",
  );
}

afterEach(() => vi.restoreAllMocks());

describe("no refused call is ever forwarded", () => {
  it("holds for random batches, notifications, duplicate keys and look-alike names", async () => {
    const config = readConfig(proxyEnv);
    if (!config.ok) throw new Error(config.error);
    const forwarded: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input as URL, init);
      const text = await request.text();
      forwarded.push(text);
      const messages = [JSON.parse(text)].flat() as Array<{ id?: unknown }>;
      const answers = messages
        .filter((m) => m.id !== undefined)
        .map((m) => ({ jsonrpc: "2.0", id: m.id, result: {} }));
      return answers.length === 0 ? new Response(null, { status: 202 }) : Response.json(answers);
    });
    const ctx = { waitUntil: () => {} };
    let sawForwardedCall = false;
    let sawRefusal = false;

    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        forwarded.length = 0;
        const request = new Request("https://proxy.test/mcp", {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
          body: text,
        });
        const response = await handlePost(request, proxyEnv, ctx, config.value);
        await response.body?.cancel();
        // A batch that repeats a request id is refused whole (400) and nothing is forwarded.
        expect([200, 202, 400]).toContain(response.status);
        if (response.status === 400) {
          expect(forwarded).toEqual([]);
          return;
        }

        const judged = [JSON.parse(text)].flat() as Array<Record<string, unknown>>;
        const sent = forwarded.flatMap((raw) => [JSON.parse(raw)].flat()) as Array<Record<string, unknown>>;
        for (const message of sent) {
          // Forwarded exactly as judged: the same parsed message is in the request.
          expect(judged).toContainEqual(message);
          if (message.method !== "tools/call") continue;
          const params = message.params as { name: string; arguments: unknown };
          expect(refused(params.name, params.arguments)).toBe(false);
          sawForwardedCall = true;
        }
        const wasSent = (m: unknown) => sent.some((s) => JSON.stringify(s) === JSON.stringify(m));
        if (judged.some((m) => m.method === "tools/call" && !wasSent(m))) sawRefusal = true;
      }),
      { numRuns: 2_000 },
    );
    // The property was exercised both ways.
    expect(sawForwardedCall).toBe(true);
    expect(sawRefusal).toBe(true);
  }, 60_000);
});
