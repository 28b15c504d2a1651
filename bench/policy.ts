/**
 * Decision-time microbenchmark: `node bench/policy.ts`. For policies of 10 … 10,000 rules, all
 * exact or a mix (up to 100 globs with conditions, the rest exact), it times decide() in batches
 * with process.hrtime.bigint after a warm-up and reports the median and p99 of the per-call time
 * (each sample is one batch's mean). Prints a markdown table and writes bench/out/policy.json.
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compilePolicy } from "../src/policy/compile.ts";
import { decide, loadPolicy, type Policy } from "../src/policy/evaluate.ts";
import type { Call } from "../src/policy/types.ts";

const SIZES = [10, 100, 1_000, 10_000];
const BATCH = 200;
const SAMPLES = 3_000;
const WARMUP_CALLS = 200_000;

const ACTIONS = ["allow", "deny", "require_approval", "allow"] as const;

/** YAML for `size` rules: `globs` glob rules with conditions, the rest exact (every 4th conditional). */
function policyText(size: number, globs: number): string {
  const lines = ["version: 1", "default: allow", "tools:"];
  for (let i = 0; i < globs; i++) {
    lines.push(
      `  "svc${i}_*":`,
      "    action: deny",
      `    when: { args.n: { gt: ${i % 10} }, agent: { neq: admin } }`,
    );
  }
  for (let i = 0; i < size - globs; i++) {
    lines.push(`  tool_${i}:`, `    action: ${ACTIONS[i % 4]}`);
    if (i % 4 === 3) lines.push(`    when: { args.user: { in: [u1, u2, u3] } }`);
    if (i % 4 === 0) lines.push("    rate_limit: { max: 10, window: 60 }");
  }
  return `${lines.join("\n")}\n`;
}

/** 1,000 calls: names of exact rules, names under globs, and unknown names; varied args. */
function callPool(size: number, globs: number): Call[] {
  const calls: Call[] = [];
  for (let i = 0; i < 1_000; i++) {
    const kind = i % 10;
    const exact = size - globs;
    const tool =
      kind < 5 && exact > 0
        ? `tool_${(i * 7919) % exact}`
        : kind < 9 && globs > 0
          ? `svc${i % globs}_op${i % 5}`
          : `unknown_${i % 50}`;
    calls.push({
      tool,
      args: { n: i % 12, user: `u${i % 5}`, tags: ["a", "b"] },
      agent: i % 3 === 0 ? "admin" : "bot",
    });
  }
  return calls;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

let sink = 0;

function measure(policy: Policy, calls: readonly Call[], fresh: boolean): { median: number; p99: number } {
  let k = 0;
  const next = (i: number): Call => {
    const call = calls[(k + i) % calls.length] as Call;
    // "fresh": a name never seen before on every call, so the glob memo never helps (worst case).
    return fresh ? { ...call, tool: `${call.tool}~${k + i}` } : call;
  };
  for (let i = 0; i < WARMUP_CALLS / (fresh ? 10 : 1); i++) sink += decide(policy, next(i)).matched.length;
  const samples: number[] = [];
  const prepared: Call[] = [];
  for (let s = 0; s < SAMPLES / (fresh ? 5 : 1); s++) {
    prepared.length = 0;
    for (let i = 0; i < BATCH; i++) prepared.push(next(i));
    k += BATCH;
    const start = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) sink += decide(policy, prepared[i] as Call).matched.length;
    samples.push(Number(process.hrtime.bigint() - start) / BATCH);
  }
  samples.sort((a, b) => a - b);
  return { median: percentile(samples, 50), p99: percentile(samples, 99) };
}

interface Row {
  scenario: string;
  rules: number;
  globs: number;
  loadMs: number;
  medianNs: number;
  p99Ns: number;
}

const rows: Row[] = [];
for (const size of SIZES) {
  for (const [scenario, globs, fresh] of [
    ["exact", 0, false],
    ["mix", Math.min(100, Math.floor(size / 2)), false],
    ["mix, unseen names", Math.min(100, Math.floor(size / 2)), true],
  ] as const) {
    const compiled = compilePolicy([{ path: "bench.yaml", text: policyText(size, globs) }]);
    if (!compiled.ok) throw new Error(compiled.error.map((error) => error.message).join("\n"));
    const started = process.hrtime.bigint();
    const policy = loadPolicy(compiled.value);
    const loadMs = Number(process.hrtime.bigint() - started) / 1e6;
    const { median, p99 } = measure(policy, callPool(size, globs), fresh);
    rows.push({ scenario, rules: size, globs, loadMs, medianNs: median, p99Ns: p99 });
  }
}

const table = [
  "| scenario | rules | globs | loadPolicy ms | median ns/decide | p99 ns/decide |",
  "|---|---:|---:|---:|---:|---:|",
  ...rows.map(
    (row) =>
      `| ${row.scenario} | ${row.rules} | ${row.globs} | ${row.loadMs.toFixed(2)} | ${row.medianNs.toFixed(0)} | ${row.p99Ns.toFixed(0)} |`,
  ),
].join("\n");
process.stdout.write(
  `${table}\n\n(batches of ${BATCH} calls; p99 is over batch means; node ${process.version}; sink ${sink % 10})\n`,
);

const out = join(dirname(fileURLToPath(import.meta.url)), "out", "policy.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ node: process.version, batch: BATCH, samples: SAMPLES, rows }, null, 2)}\n`,
);
