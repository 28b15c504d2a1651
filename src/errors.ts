/**
 * The proxy's two error vocabularies. Stages report *why* they refuse as a `Refusal` (a tagged
 * union of internal reasons); `refusalResponse` is the one exhaustive mapping from a reason to the
 * HTTP status, JSON-RPC code and message the client sees. Messages say what was wrong and what to
 * do, except where saying more would help an unauthenticated prober (`unauthorized`).
 */

/** JSON-RPC error codes used by the proxy (JSON-RPC 2.0 §5.1 and the MCP spec). */
export const JsonRpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** MCP 2026-07-28: a mirrored header (`Mcp-Method`, `Mcp-Name`) disagrees with the body. */
  HeaderMismatch: -32020,
} as const;

export type JsonRpcId = string | number | null;

export type Refusal =
  | { kind: "config_invalid"; detail: string }
  | { kind: "origin_forbidden"; origin: string }
  | { kind: "host_forbidden"; host: string }
  | { kind: "unauthorized" }
  | { kind: "method_not_allowed"; method: string }
  | { kind: "body_too_large"; limit: number }
  | { kind: "unsupported_media_type"; contentType: string }
  | { kind: "parse_error"; detail: string }
  | { kind: "invalid_request"; detail: string }
  | { kind: "header_mismatch"; detail: string }
  | { kind: "session_not_found" }
  | { kind: "keys_unavailable"; detail: string }
  | { kind: "upstream_answer_too_large"; limit: number }
  | { kind: "upstream_unreachable"; detail: string }
  | { kind: "upstream_timeout"; timeoutMs: number }
  | { kind: "upstream_rejected_credentials"; status: number };

interface WireError {
  status: number;
  code: number;
  message: string;
  headers?: Record<string, string>;
}

function toWire(refusal: Refusal): WireError {
  switch (refusal.kind) {
    case "config_invalid":
      return {
        status: 500,
        code: JsonRpcCode.InternalError,
        message: `mcp-warden is misconfigured and refuses every request until it is fixed: ${refusal.detail}`,
      };
    case "origin_forbidden":
      return {
        status: 403,
        code: JsonRpcCode.InvalidRequest,
        message: `Origin ${refusal.origin} is not allowed; add it to ALLOWED_ORIGINS to let browsers on it connect`,
      };
    case "host_forbidden":
      return {
        status: 403,
        code: JsonRpcCode.InvalidRequest,
        message: `Host ${refusal.host} is not a loopback address; this proxy only answers localhost while serving locally`,
      };
    case "unauthorized":
      return {
        status: 401,
        code: JsonRpcCode.InvalidRequest,
        message: "Missing or invalid agent key: send Authorization: Bearer <key>",
        headers: { "WWW-Authenticate": 'Bearer realm="mcp-warden"' },
      };
    case "method_not_allowed":
      return {
        status: 405,
        code: JsonRpcCode.InvalidRequest,
        message: `Method ${refusal.method} is not allowed on the MCP endpoint; use POST, GET or DELETE`,
        headers: { Allow: "GET, POST, DELETE, OPTIONS" },
      };
    case "body_too_large":
      return {
        status: 413,
        code: JsonRpcCode.InvalidRequest,
        message: `Request body is larger than ${refusal.limit} bytes (MAX_BODY_BYTES)`,
      };
    case "unsupported_media_type":
      return {
        status: 415,
        code: JsonRpcCode.InvalidRequest,
        message: `Content-Type must be application/json, got ${refusal.contentType || "none"}`,
      };
    case "parse_error":
      return { status: 400, code: JsonRpcCode.ParseError, message: `Parse error: ${refusal.detail}` };
    case "invalid_request":
      return {
        status: 400,
        code: JsonRpcCode.InvalidRequest,
        message: `Invalid JSON-RPC: ${refusal.detail}`,
      };
    case "header_mismatch":
      return {
        status: 400,
        code: JsonRpcCode.HeaderMismatch,
        message: `HeaderMismatch: ${refusal.detail}; send headers that mirror the body exactly`,
      };
    case "session_not_found":
      // Word for word what an upstream says of an unknown session: the caller learns nothing more.
      return { status: 404, code: -32001, message: "Session not found" };
    case "keys_unavailable":
      return {
        status: 503,
        code: JsonRpcCode.InternalError,
        message: "mcp-warden could not load its signing key, so it refuses the request; try again shortly",
        headers: { "Retry-After": "1" },
      };
    case "upstream_answer_too_large":
      return {
        status: 502,
        code: JsonRpcCode.InternalError,
        message: `The upstream's answer is larger than ${refusal.limit} bytes, more than mcp-warden can inspect; it was not passed on`,
      };
    case "upstream_unreachable":
      return {
        status: 502,
        code: JsonRpcCode.InternalError,
        message: `The upstream MCP server could not be reached: ${refusal.detail}`,
      };
    case "upstream_timeout":
      return {
        status: 504,
        code: JsonRpcCode.InternalError,
        message: `The upstream MCP server did not answer within ${refusal.timeoutMs} ms (UPSTREAM_TIMEOUT_MS)`,
      };
    case "upstream_rejected_credentials":
      return {
        status: 502,
        code: JsonRpcCode.InternalError,
        message: `The upstream MCP server refused the proxy's credentials (HTTP ${refusal.status}); the operator must check UPSTREAM_AUTHORIZATION`,
      };
  }
}

/** A JSON-RPC error response with the given status; the one way the proxy builds error bodies. */
export function jsonRpcError(
  status: number,
  code: number,
  message: string,
  id: JsonRpcId = null,
  headers: Record<string, string> = {},
): Response {
  const body = JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } });
  return new Response(body, { status, headers: { "Content-Type": "application/json", ...headers } });
}

/** Maps a refusal to the response the client sees. */
export function refusalResponse(refusal: Refusal, id: JsonRpcId = null): Response {
  const wire = toWire(refusal);
  return jsonRpcError(wire.status, wire.code, wire.message, id, wire.headers);
}
