import type { DemoUpstream } from "./demo/upstream.ts";
import type { Keyring } from "./keys/keyring.ts";
import type { Limiter } from "./limiter/limiter.ts";

/**
 * The Worker's bindings, declared in one place. `wrangler.toml` provides the vars and the Durable
 * Object bindings; secrets come from `wrangler secret put` (or `.dev.vars` locally).
 */
export interface Env {
  /** The upstream MCP endpoint. Empty or unset: the embedded demo upstream answers instead. */
  UPSTREAM_URL?: string;
  /** Milliseconds to wait for the upstream's response headers before answering 504. */
  UPSTREAM_TIMEOUT_MS?: string;
  /** Largest accepted POST body in bytes (default 4 MiB); larger bodies get 413. */
  MAX_BODY_BYTES?: string;
  /** Comma-separated browser origins allowed to call the proxy (`*` for any). */
  ALLOWED_ORIGINS?: string;
  /** "true" when serving on a loopback address (`npm start`): non-loopback `Host` → 403. */
  LOOPBACK_ONLY?: string;
  /** Milliseconds of silence on an SSE stream before a `:` keep-alive comment is sent. */
  SSE_KEEPALIVE_MS?: string;
  /** Secret. JSON object: agent name → SHA-256 (hex) of that agent's bearer key. */
  AGENT_KEYS?: string;
  /** Secret. Sent upstream as `Authorization` instead of the agent's credentials. */
  UPSTREAM_AUTHORIZATION?: string;
  /** Secret (optional). Keys session-id binding and log hashes; a stored random secret when unset. */
  SESSION_SECRET?: string;
  DEMO_UPSTREAM: DurableObjectNamespace<DemoUpstream>;
  LIMITER: DurableObjectNamespace<Limiter>;
  KEYRING: DurableObjectNamespace<Keyring>;
}
