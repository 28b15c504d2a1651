import { describe, expect, it } from "vitest";
import { admit } from "../../src/limiter/window.ts";

describe("sliding window", () => {
  it("admits while fewer than max calls are in the window", () => {
    expect(admit([], 1, 1000, 0)).toEqual({ ok: true });
    expect(admit([1, 2], 3, 1000, 3)).toEqual({ ok: true });
  });

  it("refuses the max+1-th call and says when the oldest leaves", () => {
    const hits = [1000, 1100, 1200];
    expect(admit(hits, 3, 60_000, 5000)).toEqual({ ok: false, retryAfterMs: 56_000 });
  });

  it("admits exactly when the oldest call leaves the window, not a millisecond earlier", () => {
    const hits = Array.from({ length: 10 }, (_, i) => 1000 + i * 10);
    expect(admit(hits, 10, 60_000, 60_999)).toEqual({ ok: false, retryAfterMs: 1 });
    expect(admit(hits, 10, 60_000, 61_000)).toEqual({ ok: true });
  });

  it("is a sliding window, not a calendar bucket", () => {
    // 10 calls late in one minute and 10 early in the next would pass a per-minute bucket.
    const hits = Array.from({ length: 10 }, (_, i) => 59_000 + i * 10);
    expect(admit(hits, 10, 60_000, 60_500).ok).toBe(false);
  });

  it("waits for enough calls to leave when more than max were counted (a lowered limit)", () => {
    const hits = [0, 10, 20, 30, 40];
    expect(admit(hits, 2, 100, 50)).toEqual({ ok: false, retryAfterMs: 80 });
  });
});
