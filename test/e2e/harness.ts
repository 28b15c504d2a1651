/**
 * End-to-end harness: the real proxy in workerd (wrangler's `unstable_startWorker`, offline, on a
 * free loopback port), configured per test through its vars and secrets.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { unstable_startWorker } from "wrangler";

process.env.WRANGLER_SEND_METRICS = "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";

export interface RunningProxy {
  /** The proxy's MCP endpoint, e.g. http://127.0.0.1:PORT/mcp */
  url: string;
  /** The proxy's origin, e.g. http://127.0.0.1:PORT */
  origin: string;
  dispose(): Promise<void>;
}

/** Starts the proxy with the given vars (plain text) and secrets. */
export async function startProxy(
  vars: Record<string, string> = {},
  secrets: Record<string, string> = {},
): Promise<RunningProxy> {
  const bindings: Record<string, { type: "plain_text" | "secret_text"; value: string }> = {};
  for (const [name, value] of Object.entries(vars)) bindings[name] = { type: "plain_text", value };
  for (const [name, value] of Object.entries(secrets)) bindings[name] = { type: "secret_text", value };
  const worker = await unstable_startWorker({
    config: "wrangler.toml",
    bindings,
    build: { custom: { command: undefined } },
    dev: {
      server: { hostname: "127.0.0.1", port: 0 },
      inspector: false,
      persist: false,
      watch: false,
      logLevel: "warn",
    },
  } as Parameters<typeof unstable_startWorker>[0]);
  await worker.ready;
  const url = await worker.url;
  return {
    url: new URL("/mcp", url).href,
    origin: url.origin,
    dispose: () => worker.dispose(),
  };
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** The body of a JSON-RPC error response, as tests read it. */
export interface RpcErrorBody {
  jsonrpc: "2.0";
  id: string | number | null;
  error: { code: number; message: string };
}

export interface Everything {
  url: string;
  close(): Promise<void>;
}

/** Starts `@modelcontextprotocol/server-everything` (streamable HTTP) on a free loopback port. */
export async function startEverything(): Promise<Everything> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ["node_modules/@modelcontextprotocol/server-everything/dist/index.js", "streamableHttp"],
    {
      env: { ...process.env, PORT: String(port) },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("server-everything did not start")), 20_000);
    child.stderr.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("listening on port")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => reject(new Error(`server-everything exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: async () => {
      child.kill();
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}

/**
 * A request through node:http, which (unlike fetch) lets a test set `Host` — the header a
 * DNS-rebinding attacker controls.
 */
export async function rawRequest(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { request } = await import("node:http");
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method, headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

/**
 * The upstream's own session id inside a bound id (`<upstream id>.<mac>`): what the upstream
 * issued and receives, while the client only ever sees the bound form.
 */
export function upstreamIdOf(bound: string | null | undefined): string {
  const id = bound ?? "";
  return id.slice(0, id.lastIndexOf("."));
}

/** A bound session id: the upstream's UUID and a 128-bit MAC in base64url. */
export const BOUND_UUID = /^[0-9a-f-]{36}\.[A-Za-z0-9_-]{22}$/;
