/**
 * Stage 3 — parse: is the POST body a well-formed JSON-RPC message (or batch) the proxy can
 * judge? Size first (413, without reading a body that announces itself too large), then
 * Content-Type (415), UTF-8 and JSON (400/-32700), then the JSON-RPC shape (400/-32600), checked
 * with the SDK's own schemas. The messages that come out are the exact values the policy will
 * read and the forward stage will re-serialize, so the upstream cannot see a different message.
 */
import { JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import type { Config } from "../config.ts";
import type { JsonRpcId, Refusal } from "../errors.ts";
import { collectUpTo } from "../http/bounded.ts";
import { hasNonFiniteNumber } from "../json-walk.ts";
import type { Result } from "../result.ts";

/** A JSON-RPC message as parsed from the body. Validated, but the original object, not a copy. */
export type Message = Record<string, unknown>;

export interface ParsedBody {
  messages: Message[];
  /** True when the body was a JSON array (a batch, protocol 2025-03-26). */
  batch: boolean;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Reads, decodes and validates a POST body. */
export async function parseBody(request: Request, config: Config): Promise<Result<ParsedBody, Refusal>> {
  const length = request.headers.get("Content-Length");
  if (length !== null && Number(length) > config.maxBodyBytes) {
    return { ok: false, error: { kind: "body_too_large", limit: config.maxBodyBytes } };
  }
  const contentType = request.headers.get("Content-Type") ?? "";
  if (!isJsonContentType(contentType))
    return { ok: false, error: { kind: "unsupported_media_type", contentType } };

  const bytes = await readLimited(request, config.maxBodyBytes);
  if (bytes === undefined)
    return { ok: false, error: { kind: "body_too_large", limit: config.maxBodyBytes } };

  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, error: { kind: "parse_error", detail: "the body is not valid UTF-8" } };
  }
  if (text.trim() === "") return { ok: false, error: { kind: "parse_error", detail: "the body is empty" } };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      error: { kind: "parse_error", detail: `the body is not JSON (${(error as Error).message})` },
    };
  }
  // A number too large for a double parses as ±Infinity and would be re-serialized as null: the
  // upstream would read a different value than the policy. Checked only when the text could hold one.
  if (MAYBE_HUGE_NUMBER.test(text) && hasNonFiniteNumber(value)) {
    return { ok: false, error: { kind: "parse_error", detail: "a number is too large to represent" } };
  }
  return validateShape(value);
}

const MAYBE_HUGE_NUMBER = /[eE][+-]?\d{3}|\d{300}/;

/** The most messages one batch may carry (the SDK's own limit). */
export const MAX_BATCH = 100;

/** Checks that a parsed JSON value is one JSON-RPC message or a non-empty batch of them. */
export function validateShape(value: unknown): Result<ParsedBody, Refusal> {
  const batch = Array.isArray(value);
  const items: unknown[] = batch ? value : [value];
  if (batch && items.length === 0) {
    return { ok: false, error: { kind: "invalid_request", detail: "a batch must not be empty" } };
  }
  if (items.length > MAX_BATCH) {
    return {
      ok: false,
      error: { kind: "invalid_request", detail: `a batch may hold at most ${MAX_BATCH} messages` },
    };
  }
  const requestIds = new Set<unknown>();
  for (const [index, item] of items.entries()) {
    const checked = JSONRPCMessageSchema.safeParse(item);
    if (!checked.success) {
      const where = batch ? `batch item ${index}: ` : "";
      return { ok: false, error: { kind: "invalid_request", detail: `${where}${describeShapeError(item)}` } };
    }
    // Answers are matched to requests by id; two requests sharing one would make them ambiguous.
    const message = item as Message;
    if (typeof message.method === "string" && "id" in message) {
      if (requestIds.has(message.id)) {
        const detail = `batch item ${index}: request id ${JSON.stringify(message.id)} is used twice; ids must be unique`;
        return { ok: false, error: { kind: "invalid_request", detail } };
      }
      requestIds.add(message.id);
    }
  }
  return { ok: true, value: { messages: items as Message[], batch } };
}

function describeShapeError(item: unknown): string {
  if (typeof item !== "object" || item === null || Array.isArray(item)) return "expected a JSON-RPC object";
  const message = item as Record<string, unknown>;
  if (message.jsonrpc !== "2.0") return 'expected "jsonrpc": "2.0"';
  if ("method" in message && typeof message.method !== "string") return '"method" must be a string';
  if ("id" in message && typeof message.id !== "string" && typeof message.id !== "number") {
    return '"id" must be a string or a number';
  }
  if ("params" in message && (typeof message.params !== "object" || message.params === null)) {
    return '"params" must be an object';
  }
  if (!("method" in message) && !("result" in message) && !("error" in message)) {
    return 'expected "method" (a request or notification) or "result"/"error" (a response)';
  }
  return "not a JSON-RPC 2.0 request, notification or response (unexpected or malformed members)";
}

/** The id to echo in an error about this body: a single request's id, else null. */
export function errorIdOf(parsed: ParsedBody | undefined): JsonRpcId {
  if (parsed === undefined || parsed.batch) return null;
  const id = parsed.messages[0]?.id;
  return typeof id === "string" || typeof id === "number" ? id : null;
}

function isJsonContentType(header: string): boolean {
  const [type, ...params] = header.split(";").map((part) => part.trim().toLowerCase());
  if (type !== "application/json") return false;
  return params.every((param) => !param.startsWith("charset=") || /^charset="?utf-8"?$/.test(param));
}

/** Reads the body up to `limit` bytes; `undefined` when it is longer (the rest is not read). */
async function readLimited(request: Request, limit: number): Promise<Uint8Array | undefined> {
  if (request.body === null) return new Uint8Array(0);
  // A declared length was already checked against the limit (and the runtime holds the body to
  // it): read natively in one go. Only a chunked body is counted as it arrives.
  if (request.headers.has("Content-Length")) return new Uint8Array(await request.arrayBuffer());
  const reader = request.body.getReader();
  const { chunks, total, overflow } = await collectUpTo(reader, limit);
  if (overflow) {
    await reader.cancel();
    return undefined;
  }
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
