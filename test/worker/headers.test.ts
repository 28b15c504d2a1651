import { describe, expect, it } from "vitest";
import { clientResponseHeaders, upstreamRequestHeaders } from "../../src/http/headers.ts";

const incoming = () =>
  new Headers({
    Accept: "application/json, text/event-stream",
    "Mcp-Session-Id": "s-1",
    "MCP-Protocol-Version": "2025-06-18",
    "Mcp-Method": "tools/call",
    "Mcp-Name": "echo",
    "Mcp-Param-Region": "eu",
    "Last-Event-ID": "42",
    Authorization: "Bearer agent-key",
    Cookie: "sid=agent",
    Connection: "keep-alive, X-Private",
    "X-Private": "hop",
    "Keep-Alive": "timeout=5",
    TE: "trailers",
    Upgrade: "h2c",
    Host: "proxy.example",
    Origin: "https://app.example",
    "Content-Length": "10",
    "CF-Connecting-IP": "203.0.113.9",
  });

describe("headers sent upstream", () => {
  it("forwards every MCP header and drops hop-by-hop ones, including those named by Connection", () => {
    const out = upstreamRequestHeaders(incoming(), { kind: "passthrough" });
    for (const name of [
      "Accept",
      "Mcp-Session-Id",
      "MCP-Protocol-Version",
      "Mcp-Method",
      "Mcp-Name",
      "Mcp-Param-Region",
      "Last-Event-ID",
    ]) {
      expect(out.get(name)).toBe(incoming().get(name));
    }
    for (const name of [
      "Connection",
      "X-Private",
      "Keep-Alive",
      "TE",
      "Upgrade",
      "Host",
      "Origin",
      "Content-Length",
      "CF-Connecting-IP",
    ]) {
      expect(out.has(name)).toBe(false);
    }
  });

  it("passes the agent's credentials through when the proxy owns none", () => {
    const out = upstreamRequestHeaders(incoming(), { kind: "passthrough" });
    expect(out.get("Authorization")).toBe("Bearer agent-key");
    expect(out.get("Cookie")).toBe("sid=agent");
  });

  it("replaces the agent's credentials with UPSTREAM_AUTHORIZATION", () => {
    const out = upstreamRequestHeaders(incoming(), { kind: "inject", authorization: "Bearer upstream" });
    expect(out.get("Authorization")).toBe("Bearer upstream");
    expect(out.has("Cookie")).toBe(false);
    expect([...out.values()].join(" ")).not.toContain("agent-key");
  });

  it("drops the agent's proxy key when AGENT_KEYS is set without UPSTREAM_AUTHORIZATION", () => {
    const out = upstreamRequestHeaders(incoming(), { kind: "none" });
    expect(out.has("Authorization")).toBe(false);
    expect([...out.values()].join(" ")).not.toContain("agent-key");
  });
});

describe("headers returned to the client", () => {
  const upstream = () =>
    new Headers({
      "Content-Type": "text/event-stream",
      "Mcp-Session-Id": "s-1",
      "WWW-Authenticate":
        'Bearer resource_metadata="https://up.example/.well-known/oauth-protected-resource"',
      "Set-Cookie": "upstream-session=secret",
      "Transfer-Encoding": "chunked",
      Connection: "close",
    });

  it("keeps MCP and auth headers and drops hop-by-hop ones in pass-through mode", () => {
    const out = clientResponseHeaders(upstream(), { kind: "passthrough" });
    expect(out.get("Mcp-Session-Id")).toBe("s-1");
    expect(out.get("WWW-Authenticate")).toContain("resource_metadata");
    expect(out.has("Transfer-Encoding")).toBe(false);
    expect(out.has("Connection")).toBe(false);
  });

  it("never hands the upstream's cookies or challenges to the agent when the proxy holds the credentials", () => {
    const out = clientResponseHeaders(upstream(), { kind: "inject", authorization: "Bearer upstream" });
    expect(out.has("Set-Cookie")).toBe(false);
    expect(out.has("WWW-Authenticate")).toBe(false);
    expect(out.get("Mcp-Session-Id")).toBe("s-1");
  });
});
