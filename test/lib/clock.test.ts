import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';

describe('ManualClock', () => {
  it('wakes sleepers only once their deadline has passed', async () => {
    const clock = new ManualClock(1000);
    const woke: number[] = [];
    void clock.sleep(50).then(() => woke.push(50));
    void clock.sleep(10).then(() => woke.push(10));
    clock.advance(9);
    await Promise.resolve();
    expect(woke).toEqual([]);
    clock.advance(1);
    await new Promise((r) => setImmediate(r));
    expect(woke).toEqual([10]);
    clock.advance(40);
    await new Promise((r) => setImmediate(r));
    expect(woke).toEqual([10, 50]);
    expect(clock.now()).toBe(1050);
  });

  it('rejects a sleep with the abort reason', async () => {
    const clock = new ManualClock();
    const ac = new AbortController();
    const p = clock.sleep(100, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
  });
});
