#!/usr/bin/env node
// `npm start`: the proxy on http://localhost:$PORT/mcp (default 8787) under `wrangler dev`, in
// front of $UPSTREAM_URL or, when it is unset, the embedded demo upstream. Offline by default.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const port = process.env.PORT ?? "8787";
const wrangler = fileURLToPath(new URL("../node_modules/wrangler/bin/wrangler.js", import.meta.url));
const args = [wrangler, "dev", "--port", port, "--ip", "127.0.0.1", "--var", "LOOPBACK_ONLY:true"];
if (process.env.UPSTREAM_URL) args.push("--var", `UPSTREAM_URL:${process.env.UPSTREAM_URL}`);
for (const [name, value] of Object.entries(process.env)) {
  if (name.startsWith("RATE_LIMIT_")) args.push("--var", `${name}:${value}`);
}
args.push(...process.argv.slice(2));

const child = spawn(process.execPath, args, {
  stdio: "inherit",
  env: {
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    ...process.env,
  },
});
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
