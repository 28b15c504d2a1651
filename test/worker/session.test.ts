/**
 * Session binding: ids the proxy hands out are bound to the agent that opened the session; any
 * other id — another agent's, an invented one, a tampered one — is refused as "not found".
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { proxyKeys } from "../../src/keys/keys.ts";
import { bindSessionHeader, upstreamSessionId } from "../../src/stages/session.ts";

async function key(): Promise<CryptoKey> {
  const keys = await proxyKeys(env);
  if (!keys.ok) throw new Error(keys.error);
  return keys.value.session;
}

async function bound(agent: string, upstreamId: string): Promise<string> {
  const headers = new Headers({ "Mcp-Session-Id": upstreamId });
  await bindSessionHeader(headers, await key(), agent);
  return headers.get("Mcp-Session-Id") as string;
}

const presenting = (id: string) => new Request("http://localhost/mcp", { headers: { "Mcp-Session-Id": id } });

describe("session binding", () => {
  it("hands out <upstream id>.<mac> and unwraps it for the same agent", async () => {
    const id = await bound("alice", "up-123");
    expect(id).toMatch(/^up-123\.[A-Za-z0-9_-]{22}$/);
    expect(await upstreamSessionId(presenting(id), await key(), "alice")).toEqual({
      ok: true,
      value: "up-123",
    });
  });

  it("refuses the id when another agent presents it", async () => {
    const id = await bound("alice", "up-123");
    expect(await upstreamSessionId(presenting(id), await key(), "bob")).toEqual({
      ok: false,
      error: { kind: "session_not_found" },
    });
  });

  it.each([
    ["an invented id", "up-999"],
    ["a tampered upstream part", "up-124.AAAAAAAAAAAAAAAAAAAAAA"],
    ["a short mac", "up-123.AAAA"],
    ["not base64url", "up-123.!!!!!!!!!!!!!!!!!!!!!!"],
  ])("refuses %s, even for an anonymous caller", async (_name, id) => {
    const result = await upstreamSessionId(presenting(id), await key(), "anonymous");
    expect(result).toEqual({ ok: false, error: { kind: "session_not_found" } });
  });

  it("passes a request without a session id", async () => {
    const request = new Request("http://localhost/mcp");
    expect(await upstreamSessionId(request, await key(), "alice")).toEqual({ ok: true, value: null });
  });
});

describe("the keyring", () => {
  it("fails closed when the secret cannot be loaded, and tries again on the next request", async () => {
    const down = {
      ...env,
      SESSION_SECRET: undefined,
      KEYRING: {
        idFromName: (name: string) => env.KEYRING.idFromName(name),
        get: () => ({ secret: () => Promise.reject(new Error("keyring down")) }),
      },
    } as unknown as typeof env;
    const failed = await proxyKeys(down);
    expect(failed.ok).toBe(false);
    if (!failed.ok) expect(failed.error).toContain("keyring could not be reached");
    // The failure is not cached: the real keyring answers the next call.
    expect((await proxyKeys(env)).ok).toBe(true);
  });

  it("uses SESSION_SECRET when it is set, so ids bound under it verify only under it", async () => {
    const withSecret = { ...env, SESSION_SECRET: "operator-secret" } as typeof env;
    const keys = await proxyKeys(withSecret);
    if (!keys.ok) throw new Error(keys.error);
    const headers = new Headers({ "Mcp-Session-Id": "up-1" });
    await bindSessionHeader(headers, keys.value.session, "alice");
    const id = headers.get("Mcp-Session-Id") as string;
    expect(await upstreamSessionId(presenting(id), keys.value.session, "alice")).toEqual({
      ok: true,
      value: "up-1",
    });
    expect((await upstreamSessionId(presenting(id), await key(), "alice")).ok).toBe(false);
  });
});
