import { describe, expect, it } from "vitest";
import { type Config, readConfig } from "../../src/config.ts";
import type { Env } from "../../src/env.ts";
import { identify } from "../../src/stages/identify.ts";

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function configWith(vars: Partial<Env>): Promise<Config> {
  const result = readConfig({ ...vars } as Env);
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

const request = (authorization?: string) =>
  new Request("http://localhost/mcp", { headers: authorization ? { Authorization: authorization } : {} });

describe("identify", () => {
  it("names every caller anonymous when AGENT_KEYS is not set", async () => {
    const config = await configWith({});
    expect(await identify(request("Bearer anything"), config)).toEqual({
      ok: true,
      value: { name: "anonymous", authenticated: false },
    });
  });

  it("names the agent whose key hashes to a stored hash", async () => {
    const config = await configWith({
      AGENT_KEYS: JSON.stringify({ alice: await sha256Hex("alice-key"), bob: await sha256Hex("bob-key") }),
    });
    expect(await identify(request("Bearer bob-key"), config)).toEqual({
      ok: true,
      value: { name: "bob", authenticated: true },
    });
    expect(await identify(request("bearer alice-key"), config)).toEqual({
      ok: true,
      value: { name: "alice", authenticated: true },
    });
  });

  it.each([
    ["no header", undefined],
    ["a wrong key", "Bearer mallory"],
    ["the stored hash itself", "Bearer HASH"],
    ["another scheme", "Basic YWxpY2U6YWxpY2Uta2V5"],
    ["an empty bearer", "Bearer "],
  ])("refuses %s with the same generic reason", async (_name, header) => {
    const hash = await sha256Hex("alice-key");
    const config = await configWith({ AGENT_KEYS: JSON.stringify({ alice: hash }) });
    const result = await identify(request(header?.replace("HASH", hash)), config);
    expect(result).toEqual({ ok: false, error: { kind: "unauthorized" } });
  });
});

describe("configuration", () => {
  it.each([
    [{ AGENT_KEYS: "{not json" }, "AGENT_KEYS is not JSON"],
    [{ AGENT_KEYS: JSON.stringify({ alice: "plaintext-key" }) }, "SHA-256"],
    [{ AGENT_KEYS: "{}" }, "SHA-256"],
    [{ MAX_BODY_BYTES: "4MB" }, "MAX_BODY_BYTES must be a positive whole number"],
    [{ UPSTREAM_TIMEOUT_MS: "-1" }, "UPSTREAM_TIMEOUT_MS"],
    [{ UPSTREAM_URL: "ftp://example.com/mcp" }, "UPSTREAM_URL must be an http(s) URL"],
    [{ UPSTREAM_URL: "not a url" }, "UPSTREAM_URL is not a URL"],
  ])("fails closed on %o, naming the variable", (vars, message) => {
    const result = readConfig({ ...vars } as unknown as Env);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });

  it("uses the documented defaults", async () => {
    const config = await configWith({});
    expect(config).toMatchObject({
      upstreamUrl: undefined,
      upstreamTimeoutMs: 30_000,
      maxBodyBytes: 4 * 1024 * 1024,
      sseKeepAliveMs: 15_000,
      loopbackOnly: false,
      agentKeys: undefined,
      upstreamAuthorization: undefined,
    });
  });
});
