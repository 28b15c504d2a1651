/**
 * The proxy's HMAC keys, derived from one secret: `SESSION_SECRET` when set, else the Keyring's
 * stored random secret. Fetched once per isolate; if the Keyring cannot be reached the request is
 * refused (fail closed) and the next request tries again.
 */
import type { Env } from "../env.ts";
import type { Result } from "../result.ts";

export interface ProxyKeys {
  /** Binds session ids to agents (stages/session.ts). */
  session: CryptoKey;
  /** Hashes tool arguments for the decision log, so low-entropy values cannot be looked up. */
  logs: CryptoKey;
}

const encoder = new TextEncoder();
const cache = new WeakMap<object, Promise<ProxyKeys>>();

async function derive(secret: string, purpose: string): Promise<CryptoKey> {
  const raw = await crypto.subtle.digest("SHA-256", encoder.encode(`mcp-warden ${purpose}\n${secret}`));
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

async function load(env: Env): Promise<ProxyKeys> {
  const configured = env.SESSION_SECRET?.trim();
  const secret = configured || (await env.KEYRING.get(env.KEYRING.idFromName("proxy")).secret());
  const [session, logs] = await Promise.all([
    derive(secret, "session binding"),
    derive(secret, "log hashing"),
  ]);
  return { session, logs };
}

/** The keys for this isolate's environment (loaded once; a failure is not kept). */
export async function proxyKeys(env: Env): Promise<Result<ProxyKeys, string>> {
  let keys = cache.get(env);
  if (keys === undefined) {
    keys = load(env);
    cache.set(env, keys);
  }
  try {
    return { ok: true, value: await keys };
  } catch (error) {
    cache.delete(env);
    return { ok: false, error: `the keyring could not be reached (${String(error)})` };
  }
}
