/**
 * Reading a policy directory (build time and CLI only: node:fs). Files are `*.yaml`, sorted by
 * name so the merged rule order, and with it the hash, does not depend on the file system.
 */

import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { compilePolicy, type PolicyFile } from "./compile.ts";
import type { CompiledPolicyData, PolicyError, Result } from "./types.ts";

/** Every `*.yaml` file of `dir`, sorted by name, with paths relative to `cwd` as errors print them. */
export function readPolicyDir(dir: string, cwd: string): PolicyFile[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".yaml"))
    .sort()
    .map((name) => {
      const full = join(dir, name);
      return { path: displayPath(full, cwd), text: readFileSync(full, "utf8") };
    });
}

/** Compiles a directory. A missing directory, or one without `*.yaml` files, is an error too. */
export function compileDir(dir: string, cwd: string): Result<CompiledPolicyData, PolicyError[]> {
  const where = displayPath(dir, cwd) || ".";
  let files: PolicyFile[];
  try {
    files = readPolicyDir(dir, cwd);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    return {
      ok: false,
      error: [
        {
          file: where,
          line: 1,
          col: 1,
          message: `cannot read the policy directory (${reason}); check --dir or WARDEN_POLICY_DIR.`,
        },
      ],
    };
  }
  if (files.length === 0) {
    return {
      ok: false,
      error: [
        {
          file: where,
          line: 1,
          col: 1,
          message: "no *.yaml policy files here; add one (see docs/policies.md).",
        },
      ],
    };
  }
  return compilePolicy(files);
}

function displayPath(full: string, cwd: string): string {
  return relative(cwd, full).split(sep).join("/");
}
