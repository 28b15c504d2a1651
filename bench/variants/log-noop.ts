/** Profiling shim for src/log.ts: the decision log does nothing (prices the log line per call). */
export async function argumentsHash(_args: unknown): Promise<string> {
  return "";
}

export async function logDecision(_line: unknown): Promise<void> {}
