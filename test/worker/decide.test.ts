import { describe, expect, it } from "vitest";
import { activePolicy } from "../../src/active-policy.ts";
import type { Env } from "../../src/env.ts";
import { checkMirroredHeaders, decideAll, decodeHeaderValue, judge } from "../../src/stages/decide.ts";
import { validateShape } from "../../src/stages/parse.ts";

const policy = (() => {
  const result = activePolicy({} as Env);
  if (!result.ok) throw new Error(result.error);
  return result.value;
})();

const parsed = (value: unknown) => {
  const result = validateShape(value);
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
};
const call = (name: unknown, args?: unknown, id: number | null = 1) => ({
  jsonrpc: "2.0",
  ...(id === null ? {} : { id }),
  method: "tools/call",
  params: { name, ...(args === undefined ? {} : { arguments: args }) },
});

describe("decide", () => {
  it("judges every tools/call of a batch, including one sent as a notification", () => {
    const judgement = decideAll(
      parsed([call("list_brokers"), call("delete_broker", {}, null)]),
      policy,
      "anonymous",
    );
    expect(judgement.calls.map((c) => [c.tool, c.decision.action])).toEqual([
      ["list_brokers", "allow"],
      ["delete_broker", "deny"],
    ]);
  });

  it("refuses to judge a call without a string name or with non-object arguments", () => {
    const judgement = decideAll(
      parsed([call(42, undefined, 1), call("list_brokers", [1, 2], 2)]),
      policy,
      "anonymous",
    );
    expect(judgement.calls).toHaveLength(0);
    expect(judgement.unreadable.map((u) => u.problem)).toEqual([
      "tools/call needs params.name, a string",
      "tools/call params.arguments must be an object",
    ]);
  });

  it("judges names by exact code points, and NFKC variants by the stricter verdict", () => {
    expect(judge(policy, "d\u0435lete_broker", {}, "a").action).toBe("allow");
    expect(judge(policy, "\uff44elete_broker", {}, "a").action).toBe("deny");
  });
});

describe("mirrored headers (protocol 2026-07-28)", () => {
  const headers = (values: Record<string, string>) => new Headers(values);

  it("accepts headers that mirror the body, and bodies without them", () => {
    const body = parsed(call("list_brokers"));
    expect(checkMirroredHeaders(headers({}), body).ok).toBe(true);
    expect(
      checkMirroredHeaders(headers({ "Mcp-Method": "tools/call", "Mcp-Name": "list_brokers" }), body).ok,
    ).toBe(true);
  });

  it.each([
    [{ "Mcp-Method": "tools/list" }, "Mcp-Method"],
    [{ "Mcp-Name": "delete_broker" }, "Mcp-Name"],
    [{ "Mcp-Name": "=?base64?!!!?=" }, "Mcp-Name"],
  ])("refuses %o with HeaderMismatch", (values, named) => {
    const result = checkMirroredHeaders(headers(values), parsed(call("list_brokers")));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.kind).toBe("header_mismatch");
      expect(JSON.stringify(result.error)).toContain(named);
    }
  });

  it("checks the resource URI of resources/read", () => {
    const read = parsed({ jsonrpc: "2.0", id: 1, method: "resources/read", params: { uri: "file:///a" } });
    expect(checkMirroredHeaders(headers({ "Mcp-Name": "file:///a" }), read).ok).toBe(true);
    expect(checkMirroredHeaders(headers({ "Mcp-Name": "file:///b" }), read).ok).toBe(false);
  });

  it("decodes base64-sentinel header values", () => {
    expect(
      decodeHeaderValue(`=?base64?${btoa(String.fromCharCode(...new TextEncoder().encode("résumé")))}?=`),
    ).toBe("résumé");
    expect(decodeHeaderValue("plain")).toBe("plain");
  });
});
