import { describe, expect, it } from "vitest";
import { Backoff, jitteredDelay } from "../../../src/sdk/timing.js";

describe("plugin SDK: reconnect backoff", () => {
  const options = { initialDelayMs: 100, maxDelayMs: 1_000 };

  it("draws each delay uniformly below a cap that doubles up to the maximum (full jitter)", () => {
    const almostOne = new Backoff(options, () => 0.999_999);
    expect(Array.from({ length: 7 }, () => almostOne.next())).toEqual([
      99, 199, 399, 799, 999, 999, 999,
    ]);
    const zero = new Backoff(options, () => 0);
    expect(Array.from({ length: 3 }, () => zero.next())).toEqual([0, 0, 0]);
    const half = new Backoff(options, () => 0.5);
    expect(Array.from({ length: 4 }, () => half.next())).toEqual([50, 100, 200, 400]);
  });

  it("starts over after a reset", () => {
    const backoff = new Backoff(options, () => 0.5);
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(50);
  });

  it("stays within the maximum for any attempt", () => {
    for (let attempt = 0; attempt < 2_000; attempt += 97) {
      const delay = jitteredDelay(options, attempt);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(1_000);
    }
  });
});
