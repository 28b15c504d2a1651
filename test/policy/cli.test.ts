import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";

const repo = resolve(import.meta.dirname, "../..");

function run(argv: string[], env: Record<string, string> = {}, cwd = repo) {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(argv, { out: (text) => out.push(text), err: (text) => err.push(text), env, cwd });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

function tempPolicy(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "warden-policy-"));
  writeFileSync(join(dir, "p.yaml"), text);
  return dir;
}

describe("warden check", () => {
  it("prints every rule of the demo policy with its limit, override variable and the hash", () => {
    const { code, out } = run(["check"]);
    expect(code).toBe(0);
    expect(out).toMatch(
      /CREATE_USER\s+create_user\s+allow\s+-\s+10 \/ 60s per session\s+RATE_LIMIT_CREATE_USER/,
    );
    expect(out).toMatch(/DELETE_USER\s+delete_user\s+deny\s+args\.username eq "admin"/);
    expect(out).toMatch(/policy hash: [0-9a-f]{16} \(sha256 [0-9a-f]{64}\)/);
  });
  it("shows limits replaced from the environment", () => {
    const { code, out } = run(["check"], { RATE_LIMIT_CREATE_USER: "20/5m" });
    expect(code).toBe(0);
    expect(out).toMatch(/20 \/ 300s per session \(from env\)/);
  });
  it("exits 1 with file:line:col errors on a bad policy", () => {
    const dir = tempPolicy("version: 1\ndefault: allow\ntools:\n  a: { action: block }\n");
    const { code, err } = run(["check", "--dir", dir], {}, dir);
    expect(code).toBe(1);
    expect(err).toMatch(/^p\.yaml:4:16: action is "block"/);
  });
  it("exits 1 on a mistyped RATE_LIMIT_ variable", () => {
    const { code, err } = run(["check"], { RATE_LIMIT_CREATE_USR: "1" });
    expect(code).toBe(1);
    expect(err).toMatch(/RATE_LIMIT_CREATE_USR: no rule has id CREATE_USR/);
  });
  it("exits 1 when the directory has no policy", () => {
    const dir = mkdtempSync(join(tmpdir(), "warden-empty-"));
    expect(run(["check", "--dir", dir], {}, dir).err).toMatch(/no \*\.yaml policy files here/);
  });
});

describe("warden explain", () => {
  it("shows each matching rule, the failed condition and the decision", () => {
    const { code, out } = run(["explain", "delete_user", "--args", '{"username":"bob"}', "--agent", "ops"]);
    expect(code).toBe(0);
    expect(out).toMatch(
      /DELETE_USER \(deny.*\n {2}does not apply: args\.username eq "admin" is false \(value: "bob"\)/,
    );
    expect(out).toMatch(/decision: allow by rule DELETE_USER_2/);
    expect(out).toMatch(/limits: DELETE_USER_2 5 \/ 1h per agent/);
  });
  it("reports a missing argument as missing", () => {
    expect(run(["explain", "delete_user"]).out).toMatch(/is false \(value: missing\)/);
  });
  it("names the default when no rule applies", () => {
    expect(run(["explain", "list_brokers"]).out).toMatch(
      /no rule's pattern matches[\s\S]*decision: allow by the default/,
    );
  });
  it("refuses --args that are not JSON", () => {
    const { code, err } = run(["explain", "x", "--args", "{nope"]);
    expect(code).toBe(2);
    expect(err).toMatch(/--args is not JSON/);
  });
});

describe("warden key", () => {
  it("prints a 32-byte base64url key and its SHA-256 as an AGENT_KEYS entry", () => {
    const { code, out } = run(["key", "ops-bot"]);
    expect(code).toBe(0);
    const [, secret] = /\n {2}([A-Za-z0-9_-]{43})\n/.exec(out) ?? [];
    expect(Buffer.from(secret ?? "", "base64url")).toHaveLength(32);
    const digest = createHash("sha256")
      .update(secret ?? "")
      .digest("hex");
    expect(out).toContain(JSON.stringify({ "ops-bot": digest }));
    expect(run(["key", "ops-bot"]).out).not.toContain(secret);
  });
  it("refuses an empty name", () => {
    expect(run(["key", " "]).code).toBe(2);
  });
});

describe("usage", () => {
  it("prints help, and exits 2 on unknown commands or options", () => {
    expect(run(["help"]).out).toMatch(/warden explain <tool>/);
    expect(run(["frobnicate"]).code).toBe(2);
    expect(run(["check", "--bogus"]).code).toBe(2);
    expect(run([]).code).toBe(2);
  });
});

describe("bin/warden.mjs and scripts/build-policy.ts under Node", () => {
  const node = process.execPath;
  const hasTypeStripping = Boolean((process.features as { typescript?: unknown }).typescript);
  it.runIf(hasTypeStripping)("the bin runs the CLI", () => {
    const out = execFileSync(node, [join(repo, "bin/warden.mjs"), "help"], { encoding: "utf8" });
    expect(out).toMatch(/^warden/);
  });
  it.runIf(hasTypeStripping)("the build writes a typed module with no YAML in it", () => {
    const out = join(mkdtempSync(join(tmpdir(), "warden-out-")), "policy.ts");
    const result = spawnSync(node, [join(repo, "scripts/build-policy.ts")], {
      encoding: "utf8",
      env: { ...process.env, WARDEN_POLICY_DIR: join(repo, "policies"), WARDEN_POLICY_OUT: out },
    });
    expect(result.status).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text).toMatch(/export const POLICY = \{/);
    expect(text).toMatch(/as const satisfies CompiledPolicyData;/);
    expect(text).toMatch(/export const POLICY_HASH = "[0-9a-f]{64}";/);
    expect(text).not.toMatch(/from "yaml"/);
  });
  it.runIf(hasTypeStripping)("the build exits 1 and prints file:line:col errors on a bad policy", () => {
    const dir = tempPolicy(
      "version: 1\ndefault: allow\ntools:\n  a: { rate_limit: { max: 1, window: 5 minutes } }\n",
    );
    const result = spawnSync(node, [join(repo, "scripts/build-policy.ts")], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, WARDEN_POLICY_DIR: dir, WARDEN_POLICY_OUT: join(dir, "out.ts") },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^p\.yaml:4:38: rate_limit\.window "5 minutes" is not a duration/);
  });
});
