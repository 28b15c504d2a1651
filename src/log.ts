/**
 * The decision log (DESIGN §7): one structured JSON line per judged tools/call. It names who,
 * which session, which tool, the verdict, the rule and the policy hash — and a hash of the
 * arguments, never the arguments themselves (they may carry secrets or personal data).
 */

export interface DecisionLogLine {
  principal: string;
  session: string | null;
  tool: string;
  action: string;
  ruleId: string;
  policy: string;
  args: unknown;
  /** Milliseconds from the request's arrival to the verdict. */
  latencyMs: number;
  retryAfterSeconds?: number;
}

import { toHex } from "./hex.ts";

const encoder = new TextEncoder();

/**
 * HMAC-SHA-256 (hex, first 16 digits) of a value's JSON text, keyed by the proxy's secret: equal
 * arguments give equal hashes (to correlate calls), but a guessable value (a username) cannot be
 * found by hashing candidates.
 */
export async function argumentsHash(args: unknown, key: CryptoKey): Promise<string> {
  const digest = await crypto.subtle.sign("HMAC", key, encoder.encode(JSON.stringify(args) ?? ""));
  return toHex(new Uint8Array(digest).subarray(0, 8));
}

/** Writes one decision line to the Worker's log (Workers Logs / `wrangler tail`). */
export async function logDecision(line: DecisionLogLine, key: CryptoKey): Promise<void> {
  const { args, ...rest } = line;
  console.log(JSON.stringify({ event: "decision", ...rest, argsHash: await argumentsHash(args, key) }));
}
