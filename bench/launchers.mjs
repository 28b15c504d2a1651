/**
 * The two ways the benchmark runs a Worker bundle, each returning `{ url, pids(), stop() }`:
 *  - miniflare: workerd through Miniflare's API, without wrangler's dev layer;
 *  - wrangler:  `wrangler dev` on a generated config in bench/out pointing at the bundle.
 * `pids()` lists the workerd processes serving the Worker (found by walking /proc from the process
 * that started them), for the memory measurements.
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { outDir, root } from "./build.mjs";

const COMPATIBILITY_DATE = "2026-11-01";
const COMPATIBILITY_FLAGS = ["nodejs_compat"];

/**
 * The Durable Object bindings of the project's wrangler.toml (`[[durable_objects.bindings]]`
 * name / class_name), so the bench follows src/ when it gains or loses an object. All SQLite-backed.
 */
export function durableObjectBindings() {
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
  const bindings = [];
  for (const block of toml.split("[[durable_objects.bindings]]").slice(1)) {
    const name = /^name\s*=\s*"([^"]+)"/m.exec(block)?.[1];
    const className = /^class_name\s*=\s*"([^"]+)"/m.exec(block)?.[1];
    if (name && className) bindings.push({ name, className });
  }
  return bindings;
}

/** Parent pid and command name of a process, or undefined when it is gone. */
function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const ppid = Number(stat.slice(close + 2).split(" ")[1]);
    return { comm, ppid };
  } catch {
    return undefined;
  }
}

/** Every live descendant of `pid` whose command name is `comm`. */
export function descendants(pid, comm) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push({ pid: Number(entry), comm: stat.comm });
    children.set(stat.ppid, list);
  }
  const found = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()) ?? []) {
      if (child.comm === comm) found.push(child.pid);
      queue.push(child.pid);
    }
  }
  return found;
}

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Worker description: `{ name, script, durableObjects: boolean, vars }`. */
export async function startMiniflare(worker) {
  const before = new Set(descendants(process.pid, "workerd"));
  const port = await freePort();
  // Miniflare 5 takes `workers: [{ config, … }]`; the converter accepts the familiar v4 shape.
  const options = convertV4MiniflareOptions({
    host: "127.0.0.1",
    port,
    modules: true,
    scriptPath: worker.script,
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: COMPATIBILITY_FLAGS,
    bindings: worker.vars,
    ...(worker.durableObjects
      ? {
          durableObjects: Object.fromEntries(
            durableObjectBindings().map(({ name, className }) => [name, { className, useSQLite: true }]),
          ),
        }
      : {}),
    telemetry: { enabled: false },
    // The proxy logs one line per decision: received here (the cost of writing it stays in the
    // measurement), not echoed.
    handleStructuredLogs(log) {
      if (process.env.BENCH_DEBUG) process.stderr.write(`${JSON.stringify(log)}\n`);
    },
  });
  const mf = new Miniflare(options);
  const url = await mf.ready;
  const mine = descendants(process.pid, "workerd").filter((pid) => !before.has(pid));
  return {
    url: new URL("/mcp", url).href,
    pids: () => mine.filter((pid) => procStat(pid) !== undefined),
    stop: () => mf.dispose(),
  };
}

/**
 * wrangler dev watches the directory of `main` and reloads on every change there, so the script
 * is copied into a directory of its own (bench/ itself changes during the run: bench/out).
 */
function wranglerConfig(worker) {
  const dir = join(outDir, "wrangler", worker.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const main = join(dir, "index.js");
  copyFileSync(worker.script, main);
  const lines = [
    `name = "bench-${worker.name}"`,
    `main = ${JSON.stringify(main)}`,
    `compatibility_date = "${COMPATIBILITY_DATE}"`,
    `compatibility_flags = ${JSON.stringify(COMPATIBILITY_FLAGS)}`,
    "no_bundle = true",
  ];
  if (worker.durableObjects) {
    const bindings = durableObjectBindings();
    for (const { name, className } of bindings) {
      lines.push("", "[[durable_objects.bindings]]", `name = "${name}"`, `class_name = "${className}"`);
    }
    const classes = JSON.stringify(bindings.map((binding) => binding.className));
    lines.push("", "[[migrations]]", 'tag = "v1"', `new_sqlite_classes = ${classes}`);
  }
  const file = join(outDir, "wrangler", `${worker.name}.toml`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

async function waitForHttp(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}`);
    try {
      const response = await fetch(url, { method: "GET", signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`wrangler dev did not answer on ${url} within ${timeoutMs} ms`);
}

/** `wrangler dev` on a generated config; vars via --var; state under bench/out. */
export async function startWranglerDev(worker) {
  const port = await freePort();
  const inspectorPort = await freePort();
  // Local state outside the watched tree (and fresh each run).
  const persist = join(tmpdir(), `mcp-warden-bench-state-${worker.name}`);
  rmSync(persist, { recursive: true, force: true });
  const args = [
    join(root, "node_modules", "wrangler", "bin", "wrangler.js"),
    "dev",
    "--config",
    wranglerConfig(worker),
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    persist,
    "--show-interactive-dev-session=false",
    "--log-level",
    process.env.BENCH_DEBUG ? "debug" : "warn",
  ];
  for (const [name, value] of Object.entries(worker.vars)) args.push("--var", `${name}:${value}`);
  const child = spawn(process.execPath, args, {
    cwd: join(outDir, "wrangler"),
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "1" },
  });
  let output = "";
  const keep = (chunk) => {
    output = (output + chunk).slice(-4000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  if (process.env.BENCH_DEBUG) {
    child.stdout.pipe(process.stderr);
    child.stderr.pipe(process.stderr);
  }
  const url = `http://127.0.0.1:${port}/mcp`;
  try {
    await waitForHttp(url, child, 60_000);
  } catch (error) {
    child.kill("SIGTERM");
    throw new Error(`${error.message}\n${output}`);
  }
  return {
    url,
    pids: () => descendants(child.pid, "workerd"),
    stop: async () => {
      const workerds = descendants(child.pid, "workerd");
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      for (const pid of workerds) {
        if (procStat(pid) !== undefined) process.kill(pid, "SIGKILL");
      }
    },
  };
}

export const LAUNCHERS = {
  miniflare: { label: "Miniflare API (workerd, no dev layer)", start: startMiniflare },
  wrangler: { label: "wrangler dev", start: startWranglerDev },
};
