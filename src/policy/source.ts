/**
 * YAML source handling for the compiler (build time only): parse a file keeping line positions,
 * and find the line and column of any path in it, so every error can say `file:line:col`.
 */

import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { PolicyError, Result } from "./types.ts";

/** A path into a policy file's data, e.g. ["tools", "create_user", "rate_limit", "window"]. */
export type DataPath = readonly (string | number)[];

/** A problem found in one file: where (the key itself, or its value) and what to change. */
export interface Problem {
  readonly path: DataPath;
  readonly at: "key" | "value";
  readonly message: string;
}

/** A parsed policy file: its plain data and what is needed to turn paths into positions. */
export interface SourceFile {
  readonly path: string;
  readonly data: unknown;
  readonly doc: Document;
  readonly lines: LineCounter;
}

/** Parses one file. YAML syntax errors (including a key written twice in one mapping) come back positioned. */
export function parseSource(path: string, text: string): Result<SourceFile, PolicyError[]> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const errors = doc.errors.map((error) => {
      const { line, col } = lines.linePos(error.pos[0]);
      const message =
        error.code === "DUPLICATE_KEY"
          ? "this key is already defined above in the same mapping; merge the two (several rules on one tool are written as a list)."
          : `${error.message.split("\n")[0]}; fix the YAML syntax here.`;
      return { file: path, line, col, message };
    });
    return { ok: false, error: errors };
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (data === null || data === undefined) {
    return {
      ok: false,
      error: [{ file: path, line: 1, col: 1, message: "the file is empty; start it with version: 1." }],
    };
  }
  return { ok: true, value: { path, data, doc, lines } };
}

/** The line and column (1-based) of a key or value in the file; the nearest enclosing node if absent. */
export function positionOf(
  source: SourceFile,
  path: DataPath,
  at: "key" | "value",
): { line: number; col: number } {
  let node: unknown = source.doc.contents;
  let offset = rangeStart(node);
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) break;
      offset = rangeStart(last && at === "key" ? pair.key : pair.value) ?? rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      node = node.items[segment];
      offset = rangeStart(node) ?? offset;
    } else {
      break;
    }
  }
  return source.lines.linePos(offset ?? 0);
}

/** Turns a problem into a positioned error. */
export function toPolicyError(source: SourceFile, problem: Problem): PolicyError {
  const { line, col } = positionOf(source, problem.path, problem.at);
  return { file: source.path, line, col, message: problem.message };
}

function rangeStart(node: unknown): number | undefined {
  if (typeof node !== "object" || node === null || !("range" in node)) return undefined;
  const range = (node as { range?: readonly number[] | null }).range;
  return range?.[0];
}
