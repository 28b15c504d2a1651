/**
 * Iterative checks over parsed JSON (no recursion: a body may nest a million levels deep, and
 * the proxy must answer it, not overflow its stack).
 */

/** Whether any value in `root` satisfies `test`; object keys are offered as `key` alongside. */
export function someValue(
  root: unknown,
  test: (value: unknown, key: string | undefined) => boolean,
): boolean {
  const stack: Array<[unknown, string | undefined]> = [[root, undefined]];
  while (stack.length > 0) {
    const [value, key] = stack.pop() as [unknown, string | undefined];
    if (test(value, key)) return true;
    if (typeof value !== "object" || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) stack.push([item, undefined]);
    } else {
      for (const name of Object.keys(value)) stack.push([(value as Record<string, unknown>)[name], name]);
    }
  }
  return false;
}

/** Whether a parsed value holds a number JSON cannot carry back (1e400 parses as Infinity). */
export function hasNonFiniteNumber(root: unknown): boolean {
  return someValue(root, (value) => typeof value === "number" && !Number.isFinite(value));
}

/** Whether a parsed value has an own `__proto__` key anywhere. */
export function hasProtoKey(root: unknown): boolean {
  return someValue(root, (_value, key) => key === "__proto__");
}
