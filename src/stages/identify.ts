/**
 * Stage 2 — identify: who is calling. With `AGENT_KEYS` set, a bearer key is mandatory and names
 * the principal; without it every caller is `anonymous` and its `Authorization` is left for the
 * upstream (OAuth-protected upstreams keep working through the proxy).
 *
 * Keys are stored only as SHA-256. The presented key is hashed and compared with *every* stored
 * hash in constant time, so neither the comparison nor the loop's length tells a prober how close
 * it came or which agent exists. Every failure gets the same 401.
 */
import type { Config } from "../config.ts";
import type { Refusal } from "../errors.ts";
import type { Result } from "../result.ts";

/** The principal of every caller when AGENT_KEYS is not set. */
export const ANONYMOUS = "anonymous";

export interface Principal {
  /** The agent's name from `AGENT_KEYS`, or `anonymous`. */
  name: string;
  /** True when the caller proved a key from `AGENT_KEYS`. */
  authenticated: boolean;
}

const encoder = new TextEncoder();

/** Decides the principal of a request from its `Authorization` header. */
export async function identify(request: Request, config: Config): Promise<Result<Principal, Refusal>> {
  if (config.agentKeys === undefined) return { ok: true, value: { name: ANONYMOUS, authenticated: false } };
  const key = bearerToken(request.headers.get("Authorization"));
  if (key === undefined) return { ok: false, error: { kind: "unauthorized" } };
  const presented = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(key)));
  let match: string | undefined;
  for (const agent of config.agentKeys) {
    // No early exit: every stored hash is compared, whichever matches.
    if (crypto.subtle.timingSafeEqual(presented, agent.keyHash) && match === undefined) match = agent.name;
  }
  if (match === undefined) return { ok: false, error: { kind: "unauthorized" } };
  return { ok: true, value: { name: match, authenticated: true } };
}

function bearerToken(header: string | null): string | undefined {
  if (header === null) return undefined;
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  return match?.[1];
}
