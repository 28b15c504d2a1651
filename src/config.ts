import { z } from "zod";
import type { Env } from "./env.ts";
import { fromHex } from "./hex.ts";
import type { CredentialMode } from "./http/headers.ts";
import type { Result } from "./result.ts";

/** Validated configuration, derived once per isolate from the Worker's vars and secrets. */
export interface Config {
  /** The upstream MCP endpoint, or `undefined` for the embedded demo upstream. */
  upstreamUrl: URL | undefined;
  upstreamTimeoutMs: number;
  maxBodyBytes: number;
  allowedOrigins: ReadonlySet<string>;
  allowAnyOrigin: boolean;
  loopbackOnly: boolean;
  sseKeepAliveMs: number;
  /** Agent name → SHA-256 of its key, as bytes. `undefined` when `AGENT_KEYS` is not set. */
  agentKeys: ReadonlyArray<{ name: string; keyHash: Uint8Array }> | undefined;
  upstreamAuthorization: string | undefined;
  /** How the upstream is authenticated (DESIGN §6), decided once from the two above. */
  credentials: CredentialMode;
}

const positiveInt = (name: string, fallback: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === "") return fallback;
      if (!/^[1-9][0-9]*$/.test(value.trim())) {
        ctx.addIssue({ code: "custom", message: `${name} must be a positive whole number` });
        return z.NEVER;
      }
      return Number(value.trim());
    });

const upstreamUrl = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || value.trim() === "") return undefined;
    let url: URL;
    try {
      url = new URL(value.trim());
    } catch {
      ctx.addIssue({ code: "custom", message: "UPSTREAM_URL is not a URL" });
      return z.NEVER;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      ctx.addIssue({ code: "custom", message: "UPSTREAM_URL must be an http(s) URL" });
      return z.NEVER;
    }
    return url;
  });

const sha256Hex = /^[0-9a-f]{64}$/i;

const agentKeys = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || value.trim() === "") return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      ctx.addIssue({
        code: "custom",
        message: 'AGENT_KEYS is not JSON; expected {"agent-name": "<sha256 hex>"}',
      });
      return z.NEVER;
    }
    const shape = z.record(z.string().min(1), z.string().regex(sha256Hex)).safeParse(parsed);
    if (!shape.success || Object.keys(shape.data).length === 0) {
      ctx.addIssue({
        code: "custom",
        message: "AGENT_KEYS must map agent names to the SHA-256 (64 hex digits) of their keys",
      });
      return z.NEVER;
    }
    return Object.entries(shape.data).map(([name, hex]) => ({ name, keyHash: fromHex(hex) }));
  });

const ConfigSchema = z.object({
  UPSTREAM_URL: upstreamUrl,
  UPSTREAM_TIMEOUT_MS: positiveInt("UPSTREAM_TIMEOUT_MS", 30_000),
  MAX_BODY_BYTES: positiveInt("MAX_BODY_BYTES", 4 * 1024 * 1024),
  ALLOWED_ORIGINS: z.string().optional(),
  LOOPBACK_ONLY: z.string().optional(),
  SSE_KEEPALIVE_MS: positiveInt("SSE_KEEPALIVE_MS", 15_000),
  AGENT_KEYS: agentKeys,
  UPSTREAM_AUTHORIZATION: z.string().optional(),
});

const cache = new WeakMap<object, Result<Config, string>>();

/**
 * Reads and validates the configuration. Cached per `env` object, so an isolate parses it once.
 * A malformed value is an error naming the variable: the proxy then refuses every request
 * (fail closed) rather than run with a half-understood configuration.
 */
export function readConfig(env: Env): Result<Config, string> {
  const cached = cache.get(env);
  if (cached) return cached;
  const result = parseConfig(env);
  cache.set(env, result);
  return result;
}

function parseConfig(env: Env): Result<Config, string> {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    return { ok: false, error: parsed.error.issues.map((issue) => issue.message).join("; ") };
  }
  const vars = parsed.data;
  const upstreamAuthorization = vars.UPSTREAM_AUTHORIZATION?.trim() || undefined;
  const credentials: CredentialMode =
    upstreamAuthorization !== undefined
      ? { kind: "inject", authorization: upstreamAuthorization }
      : vars.AGENT_KEYS === undefined
        ? { kind: "passthrough" }
        : { kind: "none" };
  const origins = (vars.ALLOWED_ORIGINS ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter((origin) => origin !== "");
  return {
    ok: true,
    value: {
      upstreamUrl: vars.UPSTREAM_URL,
      upstreamTimeoutMs: vars.UPSTREAM_TIMEOUT_MS,
      maxBodyBytes: vars.MAX_BODY_BYTES,
      allowedOrigins: new Set(origins.filter((origin) => origin !== "*")),
      allowAnyOrigin: origins.includes("*"),
      loopbackOnly: vars.LOOPBACK_ONLY === "true" || vars.LOOPBACK_ONLY === "1",
      sseKeepAliveMs: vars.SSE_KEEPALIVE_MS,
      agentKeys: vars.AGENT_KEYS,
      upstreamAuthorization,
      credentials,
    },
  };
}
