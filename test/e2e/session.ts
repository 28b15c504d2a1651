/**
 * A raw MCP session for tests that must send exactly the bytes they mean (duplicate keys,
 * batches, odd headers) — things the SDK client would never produce.
 */

export interface RpcMessage {
  jsonrpc: "2.0";
  id?: string | number | null;
  method?: string;
  result?: { isError?: boolean; content?: unknown; _meta?: Record<string, unknown>; [key: string]: unknown };
  error?: { code: number; message: string; data?: unknown };
}

export interface McpSession {
  /** The session id the proxy handed out (null for a stateless upstream). */
  id: string | null;
  headers: Record<string, string>;
  post(body: string, headers?: Record<string, string>): Promise<Response>;
  /** Every JSON-RPC message in a response, from JSON (object or array) or SSE. */
  messages(response: Response): Promise<RpcMessage[]>;
}

/** Parses the JSON-RPC messages of a response body, JSON or SSE. */
export async function readMessages(response: Response): Promise<RpcMessage[]> {
  const text = await response.text();
  if (!text) return [];
  if ((response.headers.get("Content-Type") ?? "").startsWith("text/event-stream")) {
    return text
      .split(/\n\n/)
      .map((event) =>
        event
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).trimStart())
          .join("\n"),
      )
      .filter((data) => data !== "")
      .flatMap((data) => JSON.parse(data) as RpcMessage | RpcMessage[]);
  }
  const parsed = JSON.parse(text) as RpcMessage | RpcMessage[];
  return Array.isArray(parsed) ? parsed : [parsed];
}

/** Initializes a session through the proxy, as a client would, with optional extra headers. */
export async function openSession(url: string, extra: Record<string, string> = {}): Promise<McpSession> {
  const base = {
    "Content-Type": "application/json",
    Accept: "application/json, text/event-stream",
    ...extra,
  };
  const init = await fetch(url, {
    method: "POST",
    headers: base,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
    }),
  });
  if (init.status !== 200) throw new Error(`initialize failed: ${init.status} ${await init.text()}`);
  await init.body?.cancel();
  const id = init.headers.get("Mcp-Session-Id");
  const headers: Record<string, string> = { ...base, "MCP-Protocol-Version": "2025-06-18" };
  if (id !== null) headers["Mcp-Session-Id"] = id;
  const post = (body: string, more: Record<string, string> = {}) =>
    fetch(url, { method: "POST", headers: { ...headers, ...more }, body });
  const initialized = await post(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
  await initialized.body?.cancel();
  return { id, headers, post, messages: readMessages };
}
