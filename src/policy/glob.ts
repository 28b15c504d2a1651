/**
 * Tool-name globs: `*` is any run of characters (also none), `?` is exactly one character (one
 * Unicode code point). Everything else matches itself, compared by exact code points: no case
 * folding, no normalization, so a look-alike name (Cyrillic "а" for Latin "a") is another tool.
 */

const SPECIAL = /[\\^$.*+?()[\]{}|/]/g;

/** Whether a tool key is a glob (contains `*` or `?`) rather than an exact tool name. */
export function isGlob(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes("?");
}

/**
 * The source of an anchored RegExp for a glob, to be compiled with GLOB_FLAGS. Every character
 * other than `*` and `?` is escaped, so names like "a.b" or "a+b" match only themselves.
 */
export function globToRegExpSource(pattern: string): string {
  let source = "";
  for (const char of pattern) {
    if (char === "*") source += ".*";
    else if (char === "?") source += ".";
    else source += char.replace(SPECIAL, "\\$&");
  }
  return `^(?:${source})$`;
}

/** Flags for glob RegExps: "s" so `*` and `?` also match line breaks, "u" so `?` is one code point. */
export const GLOB_FLAGS = "su";
