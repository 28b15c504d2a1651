/**
 * Process memory from /proc/<pid>/status: VmRSS (resident now) and VmHWM (resident peak), in KiB.
 * `resetPeak` writes 5 to /proc/<pid>/clear_refs, which resets VmHWM to the current RSS (Linux ≥ 4.0;
 * allowed for our own children), so a peak can be taken per transfer.
 */
import { readFileSync, writeFileSync } from "node:fs";

function field(status, name) {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
  return match ? Number(match[1]) : 0;
}

/** `{ rss, hwm }` in KiB, summed over `pids` (those that have exited count 0). */
export function memoryOf(pids) {
  let rss = 0;
  let hwm = 0;
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      rss += field(status, "VmRSS");
      hwm += field(status, "VmHWM");
    } catch {
      // exited
    }
  }
  return { rss, hwm };
}

/** Resets VmHWM of each pid; returns false if the kernel refused (then only sampled peaks count). */
export function resetPeak(pids) {
  let ok = true;
  for (const pid of pids) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, "5");
    } catch {
      ok = false;
    }
  }
  return ok;
}

/**
 * Runs `transfer` while sampling the RSS of `pids()` every 2 ms; returns before, after and peak
 * (the larger of the sampled maximum and VmHWM after a reset) in KiB, with the transfer's result.
 */
export async function measureMemory(pids, transfer) {
  const watched = pids();
  const hwmReset = resetPeak(watched);
  const before = memoryOf(watched).rss;
  let sampled = before;
  const result = await transfer(() => {
    sampled = Math.max(sampled, memoryOf(watched).rss);
  });
  const end = memoryOf(watched);
  sampled = Math.max(sampled, end.rss);
  const peak = hwmReset ? Math.max(sampled, end.hwm) : sampled;
  return { before, after: end.rss, peak, hwmReset, result };
}
