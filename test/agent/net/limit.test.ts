import { describe, expect, it } from 'vitest';
import { createLimiter } from '../../../src/agent/net/limit.js';

describe('createLimiter', () => {
  it('runs at most n tasks at once, in call order, and passes results and errors through', async () => {
    const limit = createLimiter(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const gates: (() => void)[] = [];
    const tasks = Array.from({ length: 6 }, (_, i) =>
      limit(async () => {
        started.push(i);
        running += 1;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => gates.push(r));
        running -= 1;
        if (i === 3) throw new Error('task 3 failed');
        return i * 10;
      }),
    );
    const settled = Promise.allSettled(tasks);
    for (let round = 0; round < 6; round++) {
      while (gates.length === 0) await new Promise((r) => setImmediate(r));
      gates.shift()!();
    }
    const results = await settled;
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      0,
      10,
      20,
      'task 3 failed',
      40,
      50,
    ]);
  });

  it('refuses a limit below 1', () => {
    expect(() => createLimiter(0)).toThrow(/concurrency limit/);
  });
});
