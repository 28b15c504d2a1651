/**
 * Turns the measurements into bench/RESULTS.md (machine, method, a table per launcher, the goals
 * with PASS/MISS) and bench/results.svg (grouped bars: p50 latency and throughput per scenario).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { root } from "./build.mjs";

/** What the numbers were measured on. */
export function machineInfo() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? "unknown";
  let workerd = "unknown";
  try {
    workerd = execFileSync(join(root, "node_modules", ".bin", "workerd"), ["--version"], {
      encoding: "utf8",
    }).trim();
  } catch {
    // not found: reported as unknown
  }
  const version = (name) =>
    JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version;
  return {
    date: new Date().toISOString(),
    nproc: execFileSync("nproc", { encoding: "utf8" }).trim(),
    cpu: model,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB total, ${(freemem() / 2 ** 30).toFixed(1)} GiB free`,
    node: process.version,
    workerd,
    wrangler: version("wrangler"),
    miniflare: version("miniflare"),
    loadavg: loadavg()
      .map((value) => value.toFixed(2))
      .join(", "),
  };
}

const ms = (value) => (Number.isFinite(value) ? value.toFixed(3) : "–");
const pct = (value) => (Number.isFinite(value) ? `${(value * 100).toFixed(0)}%` : "–");
const signed = (value) => (Number.isFinite(value) ? `${value >= 0 ? "+" : ""}${value.toFixed(3)}` : "–");
const mib = (kib) => (kib / 1024).toFixed(1);

/** Which bare-Worker and direct rows a scenario is compared with. */
const BASE_KEY = {
  call: "call",
  allow: "call",
  deny: "call",
  limited: "call",
  "list-json": "list-json",
  "list-sse": "list-sse",
};

function find(rows, key, target) {
  return rows.find((row) => row.key === key && row.target === target);
}

function rowsFor(results, launcher) {
  return [...results.direct.rows, ...results.launchers[launcher].rows];
}

/** The scenario table of one launcher (markdown). */
export function scenarioTable(results, launcher) {
  const rows = rowsFor(results, launcher);
  const lines = [
    `#### ${results.launchers[launcher].label}`,
    "",
    "| scenario | via | p50 ms | p99 ms | req/s @16 | p50 @16 ms | p50 Δ vs bare ms | req/s vs bare | req/s vs direct |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const row of rows) {
    const bare = find(rows, BASE_KEY[row.key], "bare");
    const direct = find(rows, BASE_KEY[row.key], "direct");
    const compared = row.target !== "bare" && row.target !== "direct";
    const vsBare = compared && bare ? signed(row.latency.p50 - bare.latency.p50) : "";
    lines.push(
      `| ${row.label} | ${row.target} | ${ms(row.latency.p50)} | ${ms(row.latency.p99)} | ${row.load.rps.toFixed(0)} | ${ms(row.load.p50)} | ${vsBare} | ${bare && compared ? pct(row.load.rps / bare.load.rps) : ""} | ${direct && row.target !== "direct" ? pct(row.load.rps / direct.load.rps) : ""} |`,
    );
  }
  return lines.join("\n");
}

function streamTables(launcherResult) {
  const { timing, memory } = launcherResult.streams;
  const lines = [
    "| 10 MB result | via | time to first byte ms | total ms | MB/s |",
    "|---|---|---:|---:|---:|",
    ...timing.map(
      (row) =>
        `| ${row.mode.toUpperCase()} | ${row.target} | ${row.ttfbMs.toFixed(2)} | ${row.totalMs.toFixed(1)} | ${(row.bytes / 2 ** 20 / (row.totalMs / 1000)).toFixed(0)} |`,
    ),
    "",
    "| workerd RSS while streaming (JSON) | via | before MiB | peak MiB | after MiB | peak − before MiB (max of 3) |",
    "|---|---|---:|---:|---:|---:|",
  ];
  for (const target of [...new Set(memory.map((row) => row.target))]) {
    for (const mb of [...new Set(memory.filter((row) => row.target === target).map((row) => row.mb))]) {
      const runs = memory.filter((row) => row.target === target && row.mb === mb);
      const last = runs[runs.length - 1];
      const growth = Math.max(...runs.map((row) => row.peak - row.before));
      lines.push(
        `| ${mb} MB | ${target} | ${mib(last.before)} | ${mib(last.peak)} | ${mib(last.after)} | ${mib(growth)} |`,
      );
    }
  }
  return lines.join("\n");
}

function progressTable(launcherResult) {
  const rows = launcherResult.progress;
  const direct = rows.find((row) => row.target === "direct");
  const bare = rows.find((row) => row.target === "bare");
  return [
    "| SSE progress event (20 per stream, 5 ms apart) | events | p50 ms | p99 ms | p50 added vs direct | p50 added vs bare |",
    "|---|---:|---:|---:|---:|---:|",
    ...rows.map(
      (row) =>
        `| upstream send → client read | ${row.target} (${row.n}) | ${ms(row.p50)} | ${ms(row.p99)} | ${row.target === "direct" ? "" : signed(row.p50 - direct.p50)} | ${row.target === "warden" ? signed(row.p50 - bare.p50) : ""} |`,
    ),
  ].join("\n");
}

function memoryGrowth(launcherResult, target, mb) {
  const runs = launcherResult.streams.memory.filter((row) => row.target === target && row.mb === mb);
  return Math.max(...runs.map((row) => row.peak - row.before));
}

/** The goals of issue 5, measured: `{ goal, measured, pass }` per launcher. */
export function goals(results, launcher) {
  const rows = rowsFor(results, launcher);
  const get = (key, target) => find(rows, key, target);
  const bare = get("call", "bare");
  const allow = get("allow", "warden");
  const limited = get("limited", "warden");
  const deny = get("deny", "warden");
  const out = [];
  const addedP50 = allow.latency.p50 - bare.latency.p50;
  out.push({
    goal: "allow rule: added p50 ≤ 0.5 ms over the bare Worker",
    measured: `${signed(addedP50)} ms`,
    pass: addedP50 <= 0.5,
  });
  const allowRatio = allow.load.rps / bare.load.rps;
  out.push({
    goal: "allow rule: throughput ≥ 85% of the bare Worker",
    measured: pct(allowRatio),
    pass: allowRatio >= 0.85,
  });
  const limitedRatio = limited.load.rps / bare.load.rps;
  out.push({
    goal: "rate limit: throughput ≥ 60% of the bare Worker",
    measured: pct(limitedRatio),
    pass: limitedRatio >= 0.6,
  });
  out.push({
    goal: "deny: answered faster than the bare Worker's round trip (p50)",
    measured: `${ms(deny.latency.p50)} vs ${ms(bare.latency.p50)} ms`,
    pass: deny.latency.p50 < bare.latency.p50,
  });
  for (const mode of ["json", "sse"]) {
    const added = get(`list-${mode}`, "warden").latency.p50 - get(`list-${mode}`, "bare").latency.p50;
    out.push({
      goal: `tools/list (500, 50 hidden, ${mode.toUpperCase()}): filtering adds ≤ 2 ms (p50)`,
      measured: `${signed(added)} ms`,
      pass: added <= 2,
    });
  }
  const small = memoryGrowth(results.launchers[launcher], "warden", 1);
  const big = memoryGrowth(results.launchers[launcher], "warden", 10);
  out.push({
    goal: "10 MB result streams with flat memory (peak growth at 10 MB ≤ growth at 1 MB + 2 MiB)",
    measured: `+${mib(big)} MiB at 10 MB vs +${mib(small)} MiB at 1 MB`,
    pass: big <= small + 2048,
  });
  return out;
}

function variantTable(results) {
  const baseline = results.launchers.miniflare;
  const lines = [
    "| variant (Miniflare) | what differs | scenario | p50 ms | p99 ms | req/s @16 |",
    "|---|---|---|---:|---:|---:|",
  ];
  if (baseline) {
    for (const [key, target, label, scenario] of [
      ["call", "bare", "bare pass-through Worker", "tools/call"],
      ["allow", "warden", "mcp-warden as measured above", "tools/call allow"],
      ["limited", "warden", "mcp-warden as measured above", "tools/call rate-limited"],
      ["list-json", "warden", "mcp-warden as measured above", "tools/list 500 (50 hidden), JSON"],
      ["list-sse", "warden", "mcp-warden as measured above", "tools/list 500 (50 hidden), SSE"],
    ]) {
      const row = find(baseline.rows, key, target);
      lines.push(
        `| ${label} | (reference, same run) | ${scenario} | ${ms(row.latency.p50)} | ${ms(row.latency.p99)} | ${row.load.rps.toFixed(0)} |`,
      );
    }
    const sse = baseline.streams.timing.find((row) => row.target === "warden" && row.mode === "sse");
    if (sse)
      lines.push(
        `| mcp-warden as measured above | (reference, same run) | 10 MB SSE result, total ms | ${sse.totalMs.toFixed(1)} | | |`,
      );
  }
  for (const row of results.variants) {
    if (row.failed) {
      lines.push(
        `| ${row.variant} | ${row.description} | FAILED: ${row.failed.replace(/\|/g, "/").slice(0, 160)} | | | |`,
      );
      continue;
    }
    if (!row.latency) {
      lines.push(`| ${row.variant} | ${row.description} | ${row.label} | ${row.totalMs.toFixed(1)} | | |`);
      continue;
    }
    lines.push(
      `| ${row.variant} | ${row.description} | ${row.label.replace(`${row.variant}: `, "")} | ${ms(row.latency.p50)} | ${ms(row.latency.p99)} | ${row.load.rps.toFixed(0)} |`,
    );
  }
  return lines.join("\n");
}

/** bench/RESULTS.md. `analysis` is the hand-written findings section kept in bench/analysis.md. */
export function renderResults(results, analysis = "") {
  const m = results.machine;
  const plan = results.plan;
  const sections = [
    "# mcp-warden benchmark results",
    "",
    "Generated by `npm run bench` (bench/run.mjs). Chart: [results.svg](results.svg). Raw numbers: bench/out/results.json (not committed).",
    results.quick
      ? "\n**QUICK run (`--quick`): about a tenth of the iterations; numbers are indicative only.**"
      : "",
    "",
    "## Machine",
    "",
    `- date: ${m.date}`,
    `- CPU: ${m.cpu}, nproc ${m.nproc}`,
    `- memory: ${m.memory}`,
    `- node ${m.node}, workerd ${m.workerd}, wrangler ${m.wrangler}, miniflare ${m.miniflare}`,
    `- load average at start: ${m.loadavg}; at end: ${results.loadavgAtEnd} (2 cores, shared with other engineers' test runs: treat p99 with care)`,
    `- run time: ${results.elapsedSeconds.toFixed(0)} s`,
    "",
    "## How it was measured",
    "",
    "Everything runs on loopback, started and stopped by bench/run.mjs:",
    "",
    '- **upstream** (bench/upstream.mjs, a separate node process): a stateless Streamable HTTP MCP server on node:http with pre-built JSON; a request carrying `params._meta["bench/mode"]: "sse"` is answered as `text/event-stream`, any other as `application/json` (the mode travels inside the judged message, since the proxy forwards neither query strings nor unknown parameters of its own; each scenario checks the media type it got). Tools: a 500-tool `tools/list`, `bench_big` (a result of N bytes written in 64 KiB chunks with back-pressure), `bench_progress` (N progress notifications then the result, each carrying its send time).',
    "- **bare Worker** (bench/passthrough.js): `fetch(UPSTREAM_URL)` with the request's method, headers and body; the response returned as is.",
    "- **mcp-warden**: src/index.ts bundled by esbuild with the bench policy (bench/policies/bench.yaml, compiled into bench/out; src/generated is not touched): `bench_allow` allow, `bench_deny` deny, `bench_limited` rate limit of 10⁹ per 60 s per session (no session id → per agent: every call is one Limiter Durable Object round trip), `hidden_*` hide (50 of the 500 listed tools).",
    "- **launchers**: (1) Miniflare's API (`new Miniflare(...)`, one workerd process per Worker, no dev layer); (2) `wrangler dev` (node_modules/wrangler/bin/wrangler.js) on a generated config in bench/out pointing at the same bundle (`no_bundle`), vars via `--var`, `WRANGLER_SEND_METRICS=false`, `CLOUDFLARE_CF_FETCH_ENABLED=false`.",
    `- **latency**: ${plan.count} sequential requests (tools/list: ${plan.listCount}) on one keep-alive connection after ${plan.warmup} (${plan.listWarmup}) warm-up, undici \`Client\`; p50/p99 of the client-side round trip, body fully read.`,
    `- **throughput**: ${results.connections} keep-alive connections (undici \`Pool\`) sending back to back for ${plan.seconds} s; req/s and the p50 under that load.`,
    "- **direct** rows are measured once, before both launchers, and shared by their tables.",
    `- **10 MB**: time to first body byte and total, median of ${plan.streamReps}; memory: VmRSS of the Worker's workerd process(es) (found by walking /proc from the process that started them; for wrangler dev, all workerd processes under it, summed) sampled every 2 ms while streaming, plus VmHWM after resetting it (/proc/<pid>/clear_refs), for 1 MB and 10 MB results, 3 transfers each.`,
    `- **SSE progress**: ${plan.progressRuns} streams of 20 events 5 ms apart; per event, the client's read time minus the upstream's send time (process.hrtime, CLOCK_MONOTONIC, shared by both processes).`,
    "",
    "## Results",
    "",
  ];
  for (const launcher of Object.keys(results.launchers)) {
    sections.push(scenarioTable(results, launcher), "", streamTables(results.launchers[launcher]), "");
    sections.push(progressTable(results.launchers[launcher]), "");
  }
  sections.push("## Goals", "");
  sections.push(
    "| goal | " +
      Object.keys(results.launchers)
        .map((l) => `${l} measured | ${l}`)
        .join(" | ") +
      " |",
  );
  sections.push(
    `|---|${Object.keys(results.launchers)
      .map(() => "---:|:---:")
      .join("|")}|`,
  );
  const perLauncher = Object.keys(results.launchers).map((launcher) => goals(results, launcher));
  perLauncher[0]?.forEach((goal, index) => {
    const cells = perLauncher.map(
      (list) => `${list[index].measured} | ${list[index].pass ? "PASS" : "**MISS**"}`,
    );
    sections.push(`| ${goal.goal} | ${cells.join(" | ")} |`);
  });
  sections.push("");
  if (results.variants) {
    sections.push("## Profiling variants", "", variantTable(results), "");
  }
  if (results.policyTable) {
    sections.push("## Policy evaluation (`node bench/policy.ts`)", "", results.policyTable, "");
  }
  if (analysis) sections.push(analysis.trim(), "");
  return `${sections.join("\n")}\n`;
}

const COLORS = { miniflare: "#2f6fb0", wrangler: "#e0892b", direct: "#8a8a8a" };

function barChart({ x, y, width, height, title, unit, groups, launchers }) {
  const max = Math.max(...groups.flatMap((group) => group.bars.map((bar) => bar.value))) * 1.12 || 1;
  const plotTop = y + 28;
  const plotBottom = y + height - 70;
  const plotHeight = plotBottom - plotTop;
  const groupWidth = (width - 60) / groups.length;
  const parts = [
    `<text x="${x}" y="${y + 14}" font-size="14" font-weight="bold">${title}</text>`,
    `<line x1="${x + 50}" y1="${plotBottom}" x2="${x + width}" y2="${plotBottom}" stroke="#333"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const value = (max * i) / 4;
    const yy = plotBottom - (plotHeight * i) / 4;
    parts.push(
      `<line x1="${x + 50}" y1="${yy}" x2="${x + width}" y2="${yy}" stroke="#ddd"/>`,
      `<text x="${x + 45}" y="${yy + 4}" font-size="10" text-anchor="end">${value >= 100 ? value.toFixed(0) : value.toFixed(1)}</text>`,
    );
  }
  parts.push(
    `<text x="${x + 12}" y="${(plotTop + plotBottom) / 2}" font-size="11" transform="rotate(-90 ${x + 12} ${(plotTop + plotBottom) / 2})" text-anchor="middle">${unit}</text>`,
  );
  groups.forEach((group, index) => {
    const gx = x + 55 + index * groupWidth;
    const barWidth = Math.min(22, (groupWidth - 8) / Math.max(1, launchers.length));
    group.bars.forEach((bar, b) => {
      const h = (bar.value / max) * plotHeight;
      const bx = gx + 4 + b * barWidth;
      parts.push(
        `<rect x="${bx.toFixed(1)}" y="${(plotBottom - h).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[bar.series]}"><title>${group.label} (${bar.series}): ${bar.value.toFixed(3)} ${unit}</title></rect>`,
      );
    });
    const lx = gx + groupWidth / 2;
    parts.push(
      `<text x="${lx.toFixed(1)}" y="${plotBottom + 12}" font-size="10" text-anchor="end" transform="rotate(-35 ${lx.toFixed(1)} ${plotBottom + 12})">${group.label}</text>`,
    );
  });
  return parts.join("\n");
}

/** Throughput of each Worker scenario as a percentage of the bare Worker's for the same request. */
function relativeGroups(results, launchers) {
  const rows = [
    ["call", "bare", "call", "call bare"],
    ["allow", "warden", "call", "call allow"],
    ["deny", "warden", "call", "call deny"],
    ["limited", "warden", "call", "call rate-limited"],
    ["list-json", "bare", "list-json", "list JSON bare"],
    ["list-json", "warden", "list-json", "list JSON warden"],
    ["list-sse", "bare", "list-sse", "list SSE bare"],
    ["list-sse", "warden", "list-sse", "list SSE warden"],
  ];
  return rows.map(([key, target, bareKey, label]) => ({
    label,
    bars: launchers.flatMap((launcher) => {
      const row = find(results.launchers[launcher].rows, key, target);
      const bare = find(results.launchers[launcher].rows, bareKey, "bare");
      return row && bare ? [{ series: launcher, value: (100 * row.load.rps) / bare.load.rps }] : [];
    }),
  }));
}

/** bench/results.svg: p50 latency and throughput, grouped by scenario, one bar per launcher. */
export function renderSvg(results) {
  const launchers = Object.keys(results.launchers);
  const order = [
    ["call", "direct", "call direct"],
    ["call", "bare", "call bare"],
    ["allow", "warden", "call allow"],
    ["deny", "warden", "call deny"],
    ["limited", "warden", "call rate-limited"],
    ["list-json", "direct", "list JSON direct"],
    ["list-json", "bare", "list JSON bare"],
    ["list-json", "warden", "list JSON warden"],
    ["list-sse", "direct", "list SSE direct"],
    ["list-sse", "bare", "list SSE bare"],
    ["list-sse", "warden", "list SSE warden"],
  ];
  const groupsFor = (metric) =>
    order.map(([key, target, label]) => {
      if (target === "direct") {
        const row = find(results.direct.rows, key, target);
        return { label, bars: row ? [{ series: "direct", value: metric(row) }] : [] };
      }
      const bars = launchers.flatMap((launcher) => {
        const row = find(results.launchers[launcher].rows, key, target);
        return row ? [{ series: launcher, value: metric(row) }] : [];
      });
      return { label, bars };
    });
  const width = 900;
  const chartHeight = 300;
  const legend = ["direct", ...launchers]
    .map(
      (series, i) =>
        `<rect x="${60 + i * 290}" y="8" width="12" height="12" fill="${COLORS[series]}"/><text x="${78 + i * 290}" y="18" font-size="12">${series === "direct" ? "direct upstream (no Worker)" : results.launchers[series].label}</text>`,
    )
    .join("\n");
  const body = [
    legend,
    barChart({
      x: 10,
      y: 30,
      width: width - 20,
      height: chartHeight,
      title: "p50 latency, sequential (lower is better)",
      unit: "ms",
      groups: groupsFor((row) => row.latency.p50),
      launchers,
    }),
    barChart({
      x: 10,
      y: 40 + chartHeight,
      width: width - 20,
      height: chartHeight,
      title: `throughput at ${results.connections} connections, % of the bare Worker on the same launcher (higher is better)`,
      unit: "% of bare",
      groups: relativeGroups(results, launchers),
      launchers,
    }),
  ].join("\n");
  const height = 60 + chartHeight * 2;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" role="img" aria-labelledby="chart-title">\n<title id="chart-title">mcp-warden benchmark: p50 latency and throughput per scenario, direct upstream, bare Worker and mcp-warden, per launcher</title>\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}
