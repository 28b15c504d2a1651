/**
 * The Keyring Durable Object: one object (`idFromName("proxy")`) that holds a random secret,
 * generated on first use and kept in its storage. It keys what must be unforgeable without any
 * configuration: session-id binding and the decision log's argument hashes. Every isolate, in
 * every location, reads the same secret, once. `SESSION_SECRET`, when set, is used instead.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";

const SECRET_KEY = "secret";

export class Keyring extends DurableObject<Env> {
  /** The secret (base64, 32 random bytes), created atomically on the first call. */
  async secret(): Promise<string> {
    // The synchronous KV API: read-or-create is one step, so two first calls agree.
    const existing = this.ctx.storage.kv.get<string>(SECRET_KEY);
    if (existing !== undefined) return existing;
    const created = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    this.ctx.storage.kv.put(SECRET_KEY, created);
    return created;
  }
}
