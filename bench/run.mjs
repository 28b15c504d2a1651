#!/usr/bin/env node
/**
 * `npm run bench`: mcp-warden against a bare pass-through Worker and the upstream itself, under
 * two launchers (Miniflare's API, and `wrangler dev`), on loopback, starting and stopping
 * everything itself. Writes bench/RESULTS.md and bench/results.svg; raw numbers in bench/out.
 *
 *   node bench/run.mjs [--quick] [--launchers=miniflare,wrangler] [--no-variants] [--no-policy]
 *   node bench/run.mjs --report-only   (re-renders RESULTS.md and the chart from bench/out/results.json)
 *
 * --quick runs about a tenth of the iterations (for development; the results say so).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { benchDir, bundleWorker, outDir, root } from "./build.mjs";
import { LAUNCHERS } from "./launchers.mjs";
import {
  callBody,
  listBody,
  once,
  progressOnce,
  SSE,
  sequential,
  streamOnce,
  summarize,
  throughput,
} from "./load.mjs";
import { measureMemory } from "./memory.mjs";
import { machineInfo, renderResults, renderSvg, scenarioTable } from "./report.mjs";
import { VARIANTS } from "./variants.mjs";

const flags = new Set(process.argv.slice(2).filter((arg) => !arg.includes("=")));
const options = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((arg) => arg.includes("="))
    .map((arg) => arg.replace(/^--/, "").split("=")),
);
const quick = flags.has("--quick");
const launchers = (options.launchers ?? "miniflare,wrangler").split(",");

const PLAN = quick
  ? { warmup: 20, count: 200, listWarmup: 10, listCount: 100, seconds: 1, progressRuns: 3, streamReps: 1 }
  : {
      warmup: 200,
      count: 2000,
      listWarmup: 100,
      listCount: 1000,
      seconds: 5,
      progressRuns: 15,
      streamReps: 3,
    };
const CONNECTIONS = 16;
const PROGRESS_EVENTS = 20;
const PROGRESS_INTERVAL_MS = 5;
const MB = 1024 * 1024;

const log = (line) => process.stderr.write(`${line}\n`);
const children = new Set();
const cleanups = [];

async function cleanup() {
  for (const stop of cleanups.splice(0).reverse()) await stop().catch(() => {});
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
}
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => cleanup().finally(() => process.exit(130)));
}

function startUpstream() {
  const child = spawn(process.execPath, [join(benchDir, "upstream.mjs")], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.add(child);
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`upstream exited (${code})`)));
    child.stdout.once("data", (data) => resolve(`http://127.0.0.1:${JSON.parse(data).port}/mcp`));
  });
}

async function start(launcher, worker) {
  const started = Date.now();
  const handle = await LAUNCHERS[launcher].start(worker);
  cleanups.push(() => handle.stop());
  log(`  ${worker.name}: ${handle.url} (${Date.now() - started} ms to start)`);
  return handle;
}

async function stop(handle) {
  const index = cleanups.indexOf(handle.stop);
  await handle.stop();
  if (index !== -1) cleanups.splice(index, 1);
}

/** JSON-RPC messages of a response body, JSON or SSE. */
function messagesOf(text) {
  if (!text.startsWith("event:") && !text.startsWith("data:")) return [JSON.parse(text)];
  return text
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => JSON.parse(line.slice(6)));
}

/** Checks that a scenario gets the answer it is about before it is timed. */
async function verify(url, body, expect, mode = "json") {
  const { status, headers, text } = await once(url, body);
  const type = String(headers["content-type"] ?? "");
  const wanted = mode === "sse" ? "text/event-stream" : "application/json";
  if (!type.startsWith(wanted))
    throw new Error(`${url}: expected ${wanted}, got "${type}": ${text.slice(0, 200)}`);
  const message = messagesOf(text).find((m) => m.id !== undefined);
  const problem = expect(status, message);
  if (problem) throw new Error(`${url}: ${problem} (HTTP ${status}: ${text.slice(0, 200)})`);
}

const expectOk = (status, m) =>
  status === 200 && m?.result?.content?.[0]?.text === "ok" ? "" : "expected ok";
const expectDenied = (status, m) =>
  status === 200 && m?.result?.isError === true && m.result._meta?.["mcp-warden/decision"]?.action === "deny"
    ? ""
    : "expected a denial";
const expectTools = (count) => (status, m) => {
  const tools = m?.result?.tools ?? [];
  const hidden = tools.filter((tool) => tool.name.startsWith("hidden_")).length;
  if (status !== 200 || tools.length !== count) return `expected ${count} tools, got ${tools.length}`;
  return count < 500 && hidden > 0 ? "hidden tools were listed" : "";
};

/** Every scenario: what is sent where, and the answer it must get (and in which media type). */
function scenarios(targets) {
  const rows = [];
  const add = (key, target, label, body, expect, kind, mode = "json") => {
    if (targets[target]) rows.push({ key, target, label, url: targets[target], body, expect, kind, mode });
  };
  const call = (name) => callBody(name);
  const json = listBody();
  const sse = listBody(SSE);
  add("call", "direct", "tools/call → upstream directly", call("bench_allow"), expectOk, "call");
  add("call", "bare", "tools/call via bare Worker", call("bench_allow"), expectOk, "call");
  add("allow", "warden", "tools/call, allow rule", call("bench_allow"), expectOk, "call");
  add("deny", "warden", "tools/call, deny rule (not forwarded)", call("bench_deny"), expectDenied, "call");
  add("limited", "warden", "tools/call, rate limit (DO round trip)", call("bench_limited"), expectOk, "call");
  add("list-json", "direct", "tools/list 500, JSON → upstream directly", json, expectTools(500), "list");
  add("list-json", "bare", "tools/list 500, JSON via bare Worker", json, expectTools(500), "list");
  add("list-json", "warden", "tools/list 500 (50 hidden), JSON", json, expectTools(450), "list");
  add("list-sse", "direct", "tools/list 500, SSE → upstream directly", sse, expectTools(500), "list", "sse");
  add("list-sse", "bare", "tools/list 500, SSE via bare Worker", sse, expectTools(500), "list", "sse");
  add("list-sse", "warden", "tools/list 500 (50 hidden), SSE", sse, expectTools(450), "list", "sse");
  return rows;
}

async function measureRow(row) {
  await verify(row.url, row.body, row.expect, row.mode);
  const isList = row.kind === "list";
  const latency = await sequential(row.url, row.body, {
    warmup: isList ? PLAN.listWarmup : PLAN.warmup,
    count: isList ? PLAN.listCount : PLAN.count,
  });
  const load = await throughput(row.url, row.body, { connections: CONNECTIONS, seconds: PLAN.seconds });
  log(
    `    ${row.label.padEnd(44)} p50 ${latency.p50.toFixed(3)} ms  p99 ${latency.p99.toFixed(3)} ms  ${load.rps.toFixed(0)} req/s`,
  );
  const { url: _url, body: _body, expect: _expect, ...rest } = row;
  return { ...rest, latency, load };
}

const pick = ({ before, peak, after }) => ({ before, peak, after });

/** 10 MB (and 1 MB) results streamed through: timing, and the Worker's workerd memory. */
async function measureStreams(targets, handles) {
  const out = { timing: [], memory: [] };
  const big = (bytes, meta) => callBody("bench_big", { bytes }, meta);
  for (const [target, url] of Object.entries(targets)) {
    for (const mode of ["json", "sse"]) {
      const runs = [];
      for (let i = 0; i < PLAN.streamReps; i++) {
        runs.push(await streamOnce(url, big(10 * MB, mode === "sse" ? SSE : undefined)));
      }
      const ttfb = summarize(runs.map((run) => run.ttfbMs)).p50;
      const total = summarize(runs.map((run) => run.totalMs)).p50;
      out.timing.push({ target, mode, bytes: runs[0].bytes, ttfbMs: ttfb, totalMs: total });
      log(`    10 MB ${mode} ${target.padEnd(7)} ttfb ${ttfb.toFixed(2)} ms  total ${total.toFixed(1)} ms`);
    }
  }
  for (const [target, handle] of Object.entries(handles)) {
    await streamOnce(targets[target], big(MB)); // allocator warm-up
    for (const size of [1, 10, 1, 10, 1, 10]) {
      const measured = await measureMemory(handle.pids, (sample) =>
        streamOnce(targets[target], big(size * MB), sample),
      );
      out.memory.push({ target, mb: size, ...pick(measured) });
    }
  }
  // Control: a JSON tools/list answer is read whole by design (to filter it), so its memory must
  // grow with its size; this shows the measurement can see buffering when there is some. It stays
  // under the proxy's 8 MiB inspection cap (larger answers are refused with 502).

  for (const size of [1, 6, 1, 6, 1, 6]) {
    const measured = await measureMemory(handles.warden.pids, (sample) =>
      streamOnce(targets.warden, listBody({ "bench/listBytes": size * MB }), sample),
    );
    out.memory.push({ target: "warden tools/list (control)", mb: size, ...pick(measured) });
  }
  for (const target of new Set(out.memory.map((row) => row.target))) {
    for (const size of new Set(out.memory.filter((row) => row.target === target).map((row) => row.mb))) {
      const runs = out.memory.filter((row) => row.target === target && row.mb === size);
      const growth = Math.max(...runs.map((row) => row.peak - row.before));
      log(`    ${size} MB through ${target}: peak RSS growth ≤ ${(growth / 1024).toFixed(1)} MiB`);
    }
  }
  return out;
}

/** SSE progress stream: per-event delay from the upstream's send to the client's read. */
async function measureProgress(targets) {
  const out = [];
  for (const [target, url] of Object.entries(targets)) {
    const delays = [];
    await progressOnce(url, PROGRESS_EVENTS, PROGRESS_INTERVAL_MS);
    for (let i = 0; i < PLAN.progressRuns; i++) {
      delays.push(...(await progressOnce(url, PROGRESS_EVENTS, PROGRESS_INTERVAL_MS)));
    }
    const summary = summarize(delays);
    out.push({ target, ...summary });
    log(
      `    SSE progress via ${target.padEnd(7)} per-event p50 ${summary.p50.toFixed(3)} ms  p99 ${summary.p99.toFixed(3)} ms`,
    );
  }
  return out;
}

function runPolicyBench() {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(benchDir, "policy.ts")], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("exit", (code) =>
      resolve(code === 0 ? stdout.trim() : `(bench/policy.ts failed: ${stderr.trim()})`),
    );
  });
}

/** One profiling variant on the Miniflare launcher. */
async function runVariant(variant, upstream, results) {
  const script = await variant.build();
  const worker = {
    name: variant.name,
    script,
    durableObjects: variant.durableObjects,
    vars: { UPSTREAM_URL: upstream },
  };
  const handle = await start("miniflare", worker);
  try {
    for (const row of variant.rows(handle.url)) {
      const measured = await measureRow({ ...row, label: `${variant.name}: ${row.label}` });
      results.variants.push({ variant: variant.name, description: variant.description, ...measured });
    }
    if (variant.sseStream) {
      const runs = [];
      for (let i = 0; i < PLAN.streamReps; i++) {
        runs.push(await streamOnce(handle.url, callBody("bench_big", { bytes: 10 * MB }, SSE)));
      }
      const totalMs = summarize(runs.map((run) => run.totalMs)).p50;
      results.variants.push({
        variant: variant.name,
        description: variant.description,
        label: "10 MB SSE result, total ms",
        totalMs,
      });
      log(`    ${variant.name}: 10 MB SSE total ${totalMs.toFixed(1)} ms`);
    }
  } finally {
    await stop(handle);
  }
}

async function main() {
  const startedAt = Date.now();
  mkdirSync(outDir, { recursive: true });
  const machine = machineInfo();
  log(`bench: ${quick ? "QUICK " : ""}run, loadavg at start ${machine.loadavg}`);

  log("building bundles (bench policy → bench/out, src/ untouched)");
  const warden = await bundleWorker({ name: "warden", policyDir: join(benchDir, "policies") });
  const passthrough = join(benchDir, "passthrough.js");

  const upstream = await startUpstream();
  log(`upstream: ${upstream}`);

  const results = { machine, quick, plan: PLAN, connections: CONNECTIONS, launchers: {}, direct: null };
  log("direct upstream (shared by both launcher tables)");
  const direct = { direct: upstream };
  results.direct = { rows: [] };
  for (const row of scenarios(direct)) results.direct.rows.push(await measureRow(row));

  for (const launcher of launchers) {
    log(`launcher: ${LAUNCHERS[launcher].label}`);
    const vars = { UPSTREAM_URL: upstream };
    const bare = await start(launcher, { name: "bare", script: passthrough, durableObjects: false, vars });
    const proxy = await start(launcher, { name: "warden", script: warden, durableObjects: true, vars });
    const targets = { bare: bare.url, warden: proxy.url };
    const result = { label: LAUNCHERS[launcher].label, rows: [] };
    for (const row of scenarios(targets)) result.rows.push(await measureRow(row));
    result.streams = await measureStreams({ direct: upstream, ...targets }, { bare, warden: proxy });
    result.progress = await measureProgress({ direct: upstream, ...targets });
    await stop(bare);
    await stop(proxy);
    results.launchers[launcher] = result;
  }

  if (!flags.has("--no-variants")) {
    log("profiling variants (Miniflare launcher, tools/call allow and tools/list JSON)");
    results.variants = [];
    for (const variant of VARIANTS) {
      try {
        await runVariant(variant, upstream, results);
      } catch (error) {
        log(`    ${variant.name} failed: ${error.message}`);
        results.variants.push({
          variant: variant.name,
          description: variant.description,
          failed: error.message,
        });
      }
    }
  }

  if (!flags.has("--no-policy")) {
    log("policy-evaluation microbenchmark (node bench/policy.ts)");
    results.policyTable = await runPolicyBench();
  }
  results.elapsedSeconds = (Date.now() - startedAt) / 1000;
  results.loadavgAtEnd = machineInfo().loadavg;
  writeFileSync(join(outDir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeReports(results);
}

/** RESULTS.md (with bench/analysis.md appended when present), the chart, and the tables on stdout. */
function writeReports(results) {
  const analysisFile = join(benchDir, "analysis.md");
  const analysis = existsSync(analysisFile) ? readFileSync(analysisFile, "utf8") : "";
  const markdown = renderResults(results, analysis);
  writeFileSync(join(benchDir, "RESULTS.md"), markdown);
  writeFileSync(join(benchDir, "results.svg"), renderSvg(results));
  for (const launcher of Object.keys(results.launchers))
    process.stdout.write(`\n${scenarioTable(results, launcher)}\n`);
  if (results.policyTable) process.stdout.write(`\n${results.policyTable}\n`);
  process.stdout.write(
    `\nwrote bench/RESULTS.md and bench/results.svg (${results.elapsedSeconds.toFixed(0)} s)\n`,
  );
}

try {
  if (flags.has("--report-only"))
    writeReports(JSON.parse(readFileSync(join(outDir, "results.json"), "utf8")));
  else await main();
} catch (error) {
  log(error.stack ?? String(error));
  process.exitCode = 1;
} finally {
  await cleanup();
}
