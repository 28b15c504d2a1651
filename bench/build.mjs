/**
 * Builds the Worker bundles the benchmark runs, into bench/out/bundles/<name>/index.js, without
 * touching src/generated/policy.ts: the policy is compiled (scripts/build-policy.ts with
 * WARDEN_POLICY_DIR / WARDEN_POLICY_OUT) into bench/out, and an esbuild plugin points the import of
 * "./generated/policy.ts" in src/active-policy.ts at that file. `replace` swaps other src modules
 * for shims in bench/variants (profiling variants only; src/ itself is never written).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export const benchDir = dirname(fileURLToPath(import.meta.url));
export const root = resolve(benchDir, "..");
export const outDir = join(benchDir, "out");

/** Compiles the YAML policies of `policyDir` into a module under bench/out; returns its path. */
function compilePolicy(name, policyDir) {
  const out = join(outDir, "generated", name, "policy.ts");
  const run = spawnSync(process.execPath, [join(root, "scripts", "build-policy.ts")], {
    cwd: root,
    env: { ...process.env, WARDEN_POLICY_DIR: policyDir, WARDEN_POLICY_OUT: out },
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`policy build failed for ${policyDir}:\n${run.stderr}`);
  return out;
}

/**
 * Bundles `entry` (default src/index.ts) as an ES module Worker. `policyDir` chooses the policy;
 * `replace` maps a src module path (relative to src/, e.g. "log.ts") or a package specifier
 * (e.g. "@modelcontextprotocol/sdk/types.js", replaced where src/ imports it) to a shim file.
 */
export async function bundleWorker({ name, entry = join(root, "src", "index.ts"), policyDir, replace = {} }) {
  const policyModule = policyDir ? compilePolicy(name, policyDir) : undefined;
  const replaced = new Map(
    Object.entries(replace).map(([from, to]) => [from.startsWith("@") ? from : join(root, "src", from), to]),
  );
  const inSrc = join(root, "src");
  const outfile = join(outDir, "bundles", name, "index.js");
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2024",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    external: ["cloudflare:*", "node:*"],
    logLevel: "warning",
    plugins: [
      {
        name: "bench-redirects",
        setup(b) {
          b.onResolve({ filter: /^@/ }, (args) =>
            args.importer.startsWith(inSrc) && replaced.has(args.path)
              ? { path: replaced.get(args.path) }
              : undefined,
          );
          b.onResolve({ filter: /\.ts$/ }, (args) => {
            if (!args.path.startsWith(".")) return undefined;
            const path = resolve(args.resolveDir, args.path);
            if (policyModule && path === join(root, "src", "generated", "policy.ts")) {
              return { path: policyModule };
            }
            return replaced.has(path) ? { path: replaced.get(path) } : undefined;
          });
        },
      },
    ],
  });
  return outfile;
}
