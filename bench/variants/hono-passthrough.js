/**
 * Profiling variant: the bare pass-through behind the same Hono scaffolding mcp-warden uses (a
 * config middleware, the CORS middleware on /mcp, a POST route), to price the framework alone.
 */
import { Hono } from "hono";
import { cors } from "hono/cors";

const app = new Hono();
app.use("*", async function loadConfig(c, next) {
  c.set("config", { upstreamUrl: new URL(c.env.UPSTREAM_URL) });
  await next();
});
app.use("/mcp", cors({ origin: (origin) => origin, allowMethods: ["GET", "POST", "DELETE", "OPTIONS"] }));
app.post("/mcp", async (c) => {
  const target = new URL(c.get("config").upstreamUrl);
  target.search = new URL(c.req.url).search;
  const headers = new Headers(c.req.raw.headers);
  headers.delete("Host");
  const upstream = await fetch(target, { method: "POST", headers, body: await c.req.text() });
  return new Response(upstream.body, upstream);
});

export default app;
