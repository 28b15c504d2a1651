/**
 * The policy compiler (build time only: it parses YAML and hashes with node:crypto; the Worker
 * imports only the output). Merges every policy file into one indexed, JSON-serialisable
 * CompiledPolicyData, or returns every error found, each positioned and saying what to change.
 */

import { createHash } from "node:crypto";
import { GLOB_FLAGS, globToRegExpSource, isGlob } from "./glob.ts";
import { compileRule, defaultRuleId } from "./rules.ts";
import { FileSchema, RuleSchema } from "./schema.ts";
import { type DataPath, parseSource, positionOf, type SourceFile, toPolicyError } from "./source.ts";
import type { CompiledPolicyData, PolicyError, Result, RuleData, ToolEntryData } from "./types.ts";
import { zodProblems } from "./zod-errors.ts";

/** One policy file as read from disk. `path` is what errors print (e.g. "policies/demo.yaml"). */
export interface PolicyFile {
  readonly path: string;
  readonly text: string;
}

interface Setting<T> {
  readonly value: T;
  readonly where: string;
}

/** Where a key or value sits, as "file:line:col". */
function where(source: SourceFile, path: DataPath, at: "key" | "value"): string {
  const { line, col } = positionOf(source, path, at);
  return `${source.path}:${line}:${col}`;
}

/**
 * Compiles policy files, in the order given (the build sorts them by name), into one policy.
 * A tool key defined in two files, a rule id used twice, or `default`/`hide_denied` set to
 * different values in two files are errors naming both places.
 */
export function compilePolicy(files: readonly PolicyFile[]): Result<CompiledPolicyData, PolicyError[]> {
  const errors: PolicyError[] = [];
  const rules: RuleData[] = [];
  const tools: ToolEntryData[] = [];
  const toolsSeen = new Map<string, string>();
  const idsSeen = new Map<string, string>();
  let defaultSetting: Setting<"allow" | "deny"> | undefined;
  let hideSetting: Setting<boolean> | undefined;

  for (const file of files) {
    const parsed = parseSource(file.path, file.text);
    if (!parsed.ok) {
      errors.push(...parsed.error);
      continue;
    }
    const source = parsed.value;
    const report = (path: DataPath, at: "key" | "value", message: string) =>
      errors.push(toPolicyError(source, { path, at, message }));
    const checked = FileSchema.safeParse(source.data);
    if (!checked.success) {
      for (const problem of zodProblems(checked.error, [])) errors.push(toPolicyError(source, problem));
      continue;
    }
    const input = checked.data;
    if (input.default !== undefined) {
      const here = where(source, ["default"], "value");
      if (defaultSetting && defaultSetting.value !== input.default) {
        report(
          ["default"],
          "value",
          `default is ${input.default} here but ${defaultSetting.value} at ${defaultSetting.where}; set it in one file only.`,
        );
      }
      defaultSetting ??= { value: input.default, where: here };
    }
    if (input.hide_denied !== undefined) {
      const here = where(source, ["hide_denied"], "value");
      if (hideSetting && hideSetting.value !== input.hide_denied) {
        report(
          ["hide_denied"],
          "value",
          `hide_denied is ${input.hide_denied} here but ${hideSetting.value} at ${hideSetting.where}; set it in one file only.`,
        );
      }
      hideSetting ??= { value: input.hide_denied, where: here };
    }
    for (const [pattern, value] of Object.entries(input.tools ?? {})) {
      const keyWhere = where(source, ["tools", pattern], "key");
      const first = toolsSeen.get(pattern);
      if (first !== undefined) {
        report(
          ["tools", pattern],
          "key",
          `tool "${pattern}" is already defined at ${first}; keep its rules in one place (a list of rules under one key).`,
        );
        continue;
      }
      toolsSeen.set(pattern, keyWhere);
      if (pattern === "") {
        report(
          ["tools", pattern],
          "key",
          'a tool key is empty; write the tool name, or a glob such as "delete_*".',
        );
        continue;
      }
      const items: unknown[] = Array.isArray(value) ? value : [value];
      if (items.length === 0) {
        report(
          ["tools", pattern],
          "value",
          `tool "${pattern}" has an empty list of rules; add a rule or remove the key.`,
        );
        continue;
      }
      const indexes: number[] = [];
      items.forEach((item, index) => {
        const at: DataPath = Array.isArray(value) ? ["tools", pattern, index] : ["tools", pattern];
        const rule = RuleSchema.safeParse(item);
        if (!rule.success) {
          for (const problem of zodProblems(rule.error, at)) errors.push(toPolicyError(source, problem));
          return;
        }
        const id = rule.data.id ?? defaultRuleId(pattern, index);
        const ruleWhere = where(source, at, "value");
        const compiled = compileRule(rule.data, pattern, id, at, ruleWhere);
        for (const problem of compiled.problems) errors.push(toPolicyError(source, problem));
        const firstId = idsSeen.get(id);
        if (firstId !== undefined) {
          const idPath = rule.data.id === undefined ? at : [...at, "id"];
          report(
            idPath,
            "value",
            `rule id ${id} is already used by the rule at ${firstId}; give one of them its own id: (ids name rules in logs and RATE_LIMIT_<ID> variables).`,
          );
        }
        idsSeen.set(id, ruleWhere);
        indexes.push(rules.length);
        rules.push(compiled.rule);
      });
      tools.push({ pattern, glob: isGlob(pattern) ? globToRegExpSource(pattern) : null, rules: indexes });
    }
  }
  if (errors.length === 0 && defaultSetting === undefined) {
    const file = files[0]?.path ?? "policies";
    errors.push({
      file,
      line: 1,
      col: 1,
      message: "no file sets default; add default: allow or default: deny (for tools no rule applies to).",
    });
  }
  if (errors.length > 0 || defaultSetting === undefined) return { ok: false, error: errors };
  for (const tool of tools) if (tool.glob !== null) new RegExp(tool.glob, GLOB_FLAGS);
  return { ok: true, value: withHash(defaultSetting.value, hideSetting?.value ?? false, rules, tools) };
}

function withHash(
  defaultAction: "allow" | "deny",
  hideDenied: boolean,
  rules: readonly RuleData[],
  tools: readonly ToolEntryData[],
): CompiledPolicyData {
  // Rule sources are left out: moving a rule or editing a comment does not change what the policy decides.
  const semantic = {
    version: 1,
    default: defaultAction,
    hideDenied,
    rules: rules.map(({ source: _, ...rule }) => rule),
    tools,
  };
  const hash = createHash("sha256").update(canonicalJson(semantic)).digest("hex");
  return { version: 1, default: defaultAction, hideDenied, rules, tools, hash, shortHash: hash.slice(0, 16) };
}

/** JSON with object keys sorted at every level, so equal policies hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
