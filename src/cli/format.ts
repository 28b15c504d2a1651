/** Text formatting for the CLI: aligned tables and short descriptions of limits and conditions. */

import type { Condition } from "../policy/conditions.ts";
import { describeCondition } from "../policy/explain.ts";
import type { Limit } from "../policy/types.ts";

/** Left-aligned columns separated by two spaces, with a header row and a rule under it. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}

/** A window as the format writes it: "1d", "1h", else seconds ("60s", "300s"). */
export function formatWindow(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  return `${seconds}s`;
}

/** A limit in one phrase, e.g. "10 / 60s per session" or "3 / 300s per args.BrokerId (successes)". */
export function formatLimit(limit: Limit): string {
  const per = typeof limit.per === "string" ? limit.per : `args.${limit.per.arg}`;
  const counted = limit.count === "success" ? " (successes)" : "";
  return `${limit.max} / ${formatWindow(limit.windowSeconds)} per ${per}${counted}`;
}

/** A rule's conditions joined with "and", cut to `width` characters; "-" when there are none. */
export function formatConditions(conditions: readonly Condition[], width = 48): string {
  if (conditions.length === 0) return "-";
  const text = conditions.map(describeCondition).join(" and ");
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
