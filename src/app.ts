/**
 * The HTTP surface: `/mcp` (POST, GET, DELETE, and CORS preflight), `/healthz`, and the OAuth
 * discovery documents of an OAuth-protected upstream. Routing only; the decisions live in the
 * pipeline's stages.
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import { activePolicy } from "./active-policy.ts";
import { type Config, readConfig } from "./config.ts";
import type { Env } from "./env.ts";
import { JsonRpcCode, jsonRpcError, refusalResponse } from "./errors.ts";
import { POLICY } from "./generated/policy.ts";
import { handlePost, handleStreamOrDelete } from "./pipeline.ts";
import { forward, upstreamUrlFor } from "./stages/forward.ts";
import { checkOrigin, isOriginAllowed } from "./stages/origin.ts";

type AppEnv = { Bindings: Env; Variables: { config: Config } };

/** Headers a browser client must be able to read from the proxy's responses (MCP transports). */
const EXPOSED_HEADERS = ["Mcp-Session-Id", "MCP-Protocol-Version", "WWW-Authenticate"];

/** The Worker's HTTP app: every route of the proxy. */
export const app = new Hono<AppEnv>();

app.use("*", async function loadConfig(c, next) {
  const config = readConfig(c.env);
  if (!config.ok) {
    console.error(JSON.stringify({ event: "config_invalid", detail: config.error }));
    return refusalResponse({ kind: "config_invalid", detail: config.error });
  }
  c.set("config", config.value);
  await next();
});

app.get("/healthz", (c) => {
  const config = c.get("config");
  const policy = activePolicy(c.env);
  return c.json(
    {
      ok: policy.ok,
      upstream: config.upstreamUrl === undefined ? "demo" : "configured",
      policy: POLICY.shortHash,
      ...(policy.ok ? {} : { error: policy.error }),
    },
    policy.ok ? 200 : 500,
  );
});

// A preflight is refused here, before CORS can answer it: a foreign origin (or a rebinding Host)
// gets 403 and learns nothing about the endpoint. Other methods run the same check as stage 1.
app.use("/mcp", async function preflightOrigin(c, next) {
  if (c.req.method === "OPTIONS") {
    const refusal = checkOrigin(c.req.raw, c.get("config"));
    if (refusal) return refusalResponse(refusal);
  }
  await next();
});

// CORS runs before the pipeline so an allowed origin's preflight is answered and the headers an
// MCP client must read (Mcp-Session-Id …) are exposed to it.
const corsHeaders = cors({
  origin: (origin, c) => (isOriginAllowed(origin, new URL(c.req.url), c.get("config")) ? origin : null),
  allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
  exposeHeaders: EXPOSED_HEADERS,
  maxAge: 600,
});
// Only browsers send Origin; agents' own clients skip the CORS work entirely.
app.use("/mcp", async function corsForBrowsers(c, next) {
  if (c.req.header("Origin") === undefined) return next();
  return corsHeaders(c, next);
});

app.post("/mcp", (c) => handlePost(c.req.raw, c.env, c.executionCtx, c.get("config")));
app.on(["GET", "DELETE"], "/mcp", (c) => handleStreamOrDelete(c.req.raw, c.env, c.get("config")));
app.all("/mcp", (c) => refusalResponse({ kind: "method_not_allowed", method: c.req.method }));

// OAuth discovery (RFC 9728, RFC 8414) for an upstream that protects itself with OAuth. Served
// only while the agent's credentials pass through: with AGENT_KEYS or UPSTREAM_AUTHORIZATION the
// proxy owns authentication, and advertising the upstream's authorization server would mislead.
app.get(
  "/.well-known/:document{oauth-protected-resource|oauth-authorization-server|openid-configuration}/*",
  wellKnown,
);
app.get(
  "/.well-known/:document{oauth-protected-resource|oauth-authorization-server|openid-configuration}",
  wellKnown,
);

async function wellKnown(c: import("hono").Context<AppEnv>): Promise<Response> {
  const config = c.get("config");
  const refusal = checkOrigin(c.req.raw, config);
  if (refusal) return refusalResponse(refusal);
  if (config.credentials.kind !== "passthrough" || config.upstreamUrl === undefined) return c.notFound();
  // The client derives `/.well-known/<document>/mcp` from the proxy's URL; the upstream serves
  // the same document under its own path.
  const incoming = new URL(c.req.url);
  const document = c.req.param("document");
  const rest = incoming.pathname.slice(`/.well-known/${document}`.length);
  const upstreamPath = rest === "/mcp" ? config.upstreamUrl.pathname : rest;
  const path = `/.well-known/${document}${upstreamPath === "/" ? "" : upstreamPath}`;
  const forwarded = await forward(
    { request: c.req.raw, target: upstreamUrlFor(config, path), body: null },
    config,
    c.env,
  );
  return forwarded.ok ? forwarded.value : refusalResponse(forwarded.error);
}

app.notFound(() => jsonRpcError(404, JsonRpcCode.InvalidRequest, "Not found: the MCP endpoint is /mcp"));

app.onError((error) => {
  // A bug, never the client's fault: -32603, and nothing internal in the message.
  console.error(
    JSON.stringify({ event: "unhandled_error", error: String(error), stack: (error as Error).stack }),
  );
  return jsonRpcError(500, JsonRpcCode.InternalError, "Internal error in mcp-warden");
});
