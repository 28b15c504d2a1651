/**
 * Stage 2½ — session: a session belongs to the agent that opened it (DESIGN §5). Otherwise an
 * agent that learns another's `Mcp-Session-Id` could use that session upstream, and spend or
 * reset its rate-limit budget — and any caller could reset a `per: session` limit by inventing a
 * fresh id for each call to an upstream that ignores session ids (a stateless server).
 *
 * How: the proxy hands the client a *bound* id instead of the upstream's:
 * `<upstream id>.<mac>`, where mac = HMAC-SHA-256(key, len(agent) ":" agent "\n" upstream id),
 * 128 bits, base64url. The key is the proxy's secret (keys/keys.ts): never derivable from
 * anything an agent knows. On each request the mac is checked in constant time against the
 * caller's own name and stripped before forwarding. A mismatch, or an id the proxy never issued,
 * answers 404 "Session not found", exactly as an unknown session, so the client re-initializes
 * and learns nothing. Anonymous callers are bound too (all as `anonymous`): ids still can't be
 * invented.
 *
 * Why signed ids rather than a stored owner: no Durable Object round trip on every request, no
 * storage to clean, nothing lost on eviction. Rotating SESSION_SECRET ends every session.
 */
import type { Refusal } from "../errors.ts";
import type { Result } from "../result.ts";

const encoder = new TextEncoder();
const MAC_BYTES = 16;

async function mac(key: CryptoKey, agent: string, upstreamId: string): Promise<Uint8Array> {
  const input = encoder.encode(`${agent.length}:${agent}\n${upstreamId}`);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, input)).subarray(0, MAC_BYTES);
}

function toBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  try {
    return Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/**
 * The upstream session id for a request: `null` when it carries none; the bound id unwrapped when
 * it belongs to `agent`; a refusal (404) when it belongs to someone else or was never issued.
 */
export async function upstreamSessionId(
  request: Request,
  key: CryptoKey,
  agent: string,
): Promise<Result<string | null, Refusal>> {
  const presented = request.headers.get("Mcp-Session-Id");
  if (presented === null) return { ok: true, value: null };
  const dot = presented.lastIndexOf(".");
  const upstreamId = presented.slice(0, Math.max(dot, 0));
  const tag = dot > 0 ? fromBase64Url(presented.slice(dot + 1)) : undefined;
  if (tag === undefined || tag.byteLength !== MAC_BYTES)
    return { ok: false, error: { kind: "session_not_found" } };
  const expected = await mac(key, agent, upstreamId);
  if (!crypto.subtle.timingSafeEqual(expected, tag))
    return { ok: false, error: { kind: "session_not_found" } };
  return { ok: true, value: upstreamId };
}

/** Rewrites an upstream `Mcp-Session-Id` response header into the id bound to `agent`. */
export async function bindSessionHeader(headers: Headers, key: CryptoKey, agent: string): Promise<void> {
  const upstreamId = headers.get("Mcp-Session-Id");
  if (upstreamId === null) return;
  headers.set("Mcp-Session-Id", `${upstreamId}.${toBase64Url(await mac(key, agent, upstreamId))}`);
}
