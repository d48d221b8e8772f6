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

  it('run: moves time only when nothing else is left to do, sleeper by sleeper', async () => {
    const clock = new ManualClock(0);
    const steps: string[] = [];
    const work = (async () => {
      await clock.sleep(100);
      steps.push(`slept at ${clock.now()}`);
      // an answer that comes on the next turn of the event loop arrives before any timeout of 5 ms
      const answer = new Promise<string>((resolve) => setImmediate(() => resolve('answer')));
      const timeout = clock.sleep(5).then(() => 'timeout');
      steps.push(`${await Promise.race([answer, timeout])} at ${clock.now()}`);
      await clock.sleep(1000);
      return clock.now();
    })();
    expect(await clock.run(work)).toBe(1100);
    expect(steps).toEqual(['slept at 100', 'answer at 100']);
  });

  it('run: says so when the work waits for something no sleeper will bring', async () => {
    const clock = new ManualClock(0);
    await expect(clock.run(new Promise(() => {}))).rejects.toThrow(/stuck/);
  });
});
