/** Profiling shim for src/limiter/limiter.ts: admits everything, stores nothing (prices the DO RPC alone). */
import { DurableObject } from "cloudflare:workers";

export class Limiter extends DurableObject {
  async reserve(_limits: unknown[], _now?: number): Promise<{ ok: true }> {
    return { ok: true };
  }

  async release(_reservation: string): Promise<number> {
    return 0;
  }
}
