/**
 * Profiling variants: bundles that differ from the measured ones in one respect each, run on the
 * Miniflare launcher for the allow call (and tools/list where it matters). The difference between
 * a variant and its neighbour is the price of what was removed (workerd has no CPU profiler).
 */
import { join } from "node:path";
import { benchDir, bundleWorker } from "./build.mjs";
import { callBody, listBody } from "./load.mjs";

const variantsDir = join(benchDir, "variants");
const benchPolicy = join(benchDir, "policies");
const noLog = { "log.ts": join(variantsDir, "log-noop.ts") };
const noShape = { "@modelcontextprotocol/sdk/types.js": join(variantsDir, "sdk-types-noop.js") };

const limiterNoop = { "limiter/limiter.ts": join(variantsDir, "limiter-noop.ts") };

const okCall = (status, m) => (status === 200 && m?.result?.content?.[0]?.text === "ok" ? "" : "expected ok");
const allTools = (status, m) =>
  status === 200 && m?.result?.tools?.length === 500 ? "" : "expected 500 tools";

const callRow = (url) => ({
  key: "allow",
  target: "variant",
  label: "tools/call allow",
  url,
  body: callBody("bench_allow"),
  expect: okCall,
  kind: "call",
});
const listRow = (url) => ({
  key: "list-json",
  target: "variant",
  label: "tools/list 500, JSON",
  url,
  body: listBody(),
  expect: allTools,
  kind: "list",
});

const limitedRow = (url) => ({
  ...callRow(url),
  key: "limited",
  label: "tools/call rate-limited",
  body: callBody("bench_limited"),
});
/** allow, deny, then the limited call: the same history of limiter hits as the measured proxy. */
const limiterRows = (url) => [
  { ...callRow(url), label: "tools/call allow (limiter warm-up order)" },
  { ...callRow(url), key: "deny", label: "tools/call deny", body: callBody("bench_deny"), expect: () => "" },
  limitedRow(url),
];

export const VARIANTS = [
  {
    name: "hono-passthrough",
    description: "bare pass-through inside Hono (config middleware + CORS + route), body read as text",
    durableObjects: false,
    build: () => bundleWorker({ name: "hono-passthrough", entry: join(variantsDir, "hono-passthrough.js") }),
    rows: (url) => [callRow(url)],
  },
  {
    name: "warden-empty-policy",
    description: "mcp-warden with no rules (default allow): tools/list is not inspected",
    durableObjects: true,
    build: () => bundleWorker({ name: "warden-empty-policy", policyDir: variantsDir }),
    rows: (url) => [callRow(url), listRow(url)],
  },
  {
    name: "warden-no-log",
    description: "mcp-warden, bench policy, decision log line replaced by a no-op",
    durableObjects: true,
    build: () => bundleWorker({ name: "warden-no-log", policyDir: benchPolicy, replace: noLog }),
    rows: (url) => [callRow(url)],
  },
  {
    name: "warden-no-shape-check",
    description: "mcp-warden, bench policy, JSON-RPC shape check (SDK zod schema) skipped",
    durableObjects: true,
    build: () => bundleWorker({ name: "warden-no-shape-check", policyDir: benchPolicy, replace: noShape }),
    rows: (url) => [callRow(url)],
  },
  {
    name: "warden-no-log-no-shape",
    description: "both of the above removed",
    durableObjects: true,
    build: () =>
      bundleWorker({
        name: "warden-no-log-no-shape",
        policyDir: benchPolicy,
        replace: { ...noLog, ...noShape },
      }),
    rows: (url) => [callRow(url)],
  },
  {
    name: "warden-limiter-noop",
    description: "Limiter DO that admits without SQL or alarm: the DO RPC round trip alone",
    durableObjects: true,
    build: () => bundleWorker({ name: "warden-limiter-noop", policyDir: benchPolicy, replace: limiterNoop }),
    rows: limiterRows,
  },
];
