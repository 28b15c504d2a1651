/**
 * Stage 2½ — session: a session belongs to the agent that opened it (DESIGN §5). Otherwise an
 * agent that learns another's `Mcp-Session-Id` could use that session upstream, and spend or
 * reset its rate-limit budget.
 *
 * How: with `AGENT_KEYS` set, the proxy hands the client a *bound* id instead of the upstream's:
 * `<upstream id>.<mac>`, where mac = HMAC-SHA-256(key, agent ‖ upstream id), 128 bits,
 * base64url. On each request the mac is checked (constant time, `crypto.subtle.verify`) against
 * the caller's own name and stripped before forwarding. A mismatch answers 404 "Session not found",
 * exactly as an unknown session, so the client re-initializes and learns nothing.
 *
 * Why signed ids rather than a stored owner: no Durable Object round trip on every request, no
 * storage to clean, and nothing to lose on eviction. Rotating the key (SESSION_SECRET, or
 * AGENT_KEYS from which it is otherwise derived) ends every session: clients re-initialize.
 * Without `AGENT_KEYS` every caller is `anonymous`, so ids pass through untouched.
 */
import type { Config } from "../config.ts";
import type { Refusal } from "../errors.ts";
import type { Result } from "../result.ts";

const encoder = new TextEncoder();
const keys = new WeakMap<Config, Promise<CryptoKey>>();
const MAC_BYTES = 16;

function bindingKey(config: Config, secret: string | undefined): Promise<CryptoKey> {
  let key = keys.get(config);
  if (key === undefined) {
    const material = secret?.trim()
      ? secret
      : `mcp-warden session binding\n${JSON.stringify(config.agentKeyMaterial)}`;
    key = crypto.subtle
      .digest("SHA-256", encoder.encode(material))
      .then((raw) =>
        crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]),
      );
    keys.set(config, key);
  }
  return key;
}

async function mac(key: CryptoKey, agent: string, upstreamId: string): Promise<Uint8Array> {
  const signature = await crypto.subtle.sign("HMAC", key, encoder.encode(`${agent}\n${upstreamId}`));
  return new Uint8Array(signature).subarray(0, MAC_BYTES);
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

/** Whether session ids are bound to agents under this configuration. */
export function bindsSessions(config: Config): boolean {
  return config.agentKeys !== undefined;
}

/**
 * The upstream session id for a request: `null` when it carries none; the bound id unwrapped when
 * it belongs to `agent`; a refusal (404) when it belongs to someone else or was never issued.
 */
export async function upstreamSessionId(
  request: Request,
  config: Config,
  agent: string,
  secret: string | undefined,
): Promise<Result<string | null, Refusal>> {
  const presented = request.headers.get("Mcp-Session-Id");
  if (presented === null) return { ok: true, value: null };
  if (!bindsSessions(config)) return { ok: true, value: presented };
  const dot = presented.lastIndexOf(".");
  const upstreamId = presented.slice(0, Math.max(dot, 0));
  const tag = dot > 0 ? fromBase64Url(presented.slice(dot + 1)) : undefined;
  if (tag === undefined || tag.byteLength !== MAC_BYTES)
    return { ok: false, error: { kind: "session_not_found" } };
  const expected = await mac(await bindingKey(config, secret), agent, upstreamId);
  if (!crypto.subtle.timingSafeEqual(expected, tag))
    return { ok: false, error: { kind: "session_not_found" } };
  return { ok: true, value: upstreamId };
}

/** Rewrites an upstream `Mcp-Session-Id` response header into the id bound to `agent`. */
export async function bindSessionHeader(
  headers: Headers,
  config: Config,
  agent: string,
  secret: string | undefined,
): Promise<void> {
  const upstreamId = headers.get("Mcp-Session-Id");
  if (upstreamId === null || !bindsSessions(config)) return;
  const tag = await mac(await bindingKey(config, secret), agent, upstreamId);
  headers.set("Mcp-Session-Id", `${upstreamId}.${toBase64Url(tag)}`);
}
