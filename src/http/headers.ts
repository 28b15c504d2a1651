/**
 * Which headers cross the proxy, in each direction. Everything MCP defines passes (DESIGN §3:
 * `Mcp-Session-Id`, `MCP-Protocol-Version`, `Last-Event-ID`, `Accept`, `Mcp-Method`, `Mcp-Name`,
 * `Mcp-Param-*`, `WWW-Authenticate`); hop-by-hop headers (RFC 9110 §7.6.1) never do, and
 * credentials cross only where the credential mode says so.
 */

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "trailers",
  "transfer-encoding",
  "upgrade",
]);

/**
 * Request headers the proxy sets itself, that describe the client's hop rather than the message,
 * or that would no longer be true of the re-serialized body (its encoding, its digests) or could
 * make the upstream treat the request as something else (method overrides).
 */
const NOT_FORWARDED_UPSTREAM = new Set([
  "host",
  "content-length",
  "content-encoding",
  "content-md5",
  "digest",
  "content-digest",
  "repr-digest",
  "x-http-method-override",
  "x-http-method",
  "x-method-override",
  "expect",
  "origin",
  "accept-encoding",
  "cookie",
]);

/** How the upstream is authenticated. */
export type CredentialMode =
  /** Neither AGENT_KEYS nor UPSTREAM_AUTHORIZATION: the agent's own credentials pass through. */
  | { kind: "passthrough" }
  /** AGENT_KEYS without UPSTREAM_AUTHORIZATION: the agent's proxy key is dropped. */
  | { kind: "none" }
  /** UPSTREAM_AUTHORIZATION: the proxy's credential replaces the agent's. */
  | { kind: "inject"; authorization: string };

function connectionTokens(headers: Headers): Set<string> {
  const tokens = new Set<string>();
  for (const token of (headers.get("Connection") ?? "").split(",")) {
    const name = token.trim().toLowerCase();
    if (name) tokens.add(name);
  }
  return tokens;
}

/** The headers sent upstream for a client request. */
export function upstreamRequestHeaders(incoming: Headers, credentials: CredentialMode): Headers {
  const listed = connectionTokens(incoming);
  const headers = new Headers();
  for (const [name, value] of incoming) {
    if (HOP_BY_HOP.has(name) || listed.has(name) || NOT_FORWARDED_UPSTREAM.has(name)) continue;
    if (name.startsWith("cf-") || name === "x-real-ip") continue;
    if (name === "authorization") continue;
    headers.append(name, value);
  }
  if (credentials.kind === "passthrough") {
    const authorization = incoming.get("Authorization");
    if (authorization !== null) headers.set("Authorization", authorization);
    const cookie = incoming.get("Cookie");
    if (cookie !== null) headers.set("Cookie", cookie);
  } else if (credentials.kind === "inject") {
    headers.set("Authorization", credentials.authorization);
  }
  return headers;
}

/** The headers returned to the client for an upstream response. */
export function clientResponseHeaders(upstream: Headers, credentials: CredentialMode): Headers {
  const listed = connectionTokens(upstream);
  const headers = new Headers();
  for (const [name, value] of upstream) {
    if (HOP_BY_HOP.has(name) || listed.has(name)) continue;
    // A cookie the upstream sets on the proxy's credential belongs to the proxy, not the agent.
    if (credentials.kind !== "passthrough" && (name === "set-cookie" || name === "www-authenticate"))
      continue;
    headers.append(name, value);
  }
  return headers;
}
