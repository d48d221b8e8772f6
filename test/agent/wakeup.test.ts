/** The daemon's sleep between rounds: ends on time, on a wake, on stop; a wake while busy counts. */
import { describe, expect, it } from 'vitest';
import { Wakeup } from '../../src/agent/wakeup.js';
import { ManualClock } from '../../src/lib/clock.js';

describe('Wakeup', () => {
  it('a wake ends the sleep at once; without one it lasts until the time passed', async () => {
    const clock = new ManualClock(0);
    const wakeup = new Wakeup(clock);
    const signal = new AbortController().signal;
    let done = false;
    const sleeping = wakeup.sleep(60_000, signal).then(() => {
      done = true;
    });
    clock.advance(59_999);
    await Promise.resolve();
    expect(done).toBe(false);
    wakeup.wake();
    await sleeping;
    expect(clock.now()).toBe(59_999);
    // the wake was used: the next sleep lasts its time
    const next = wakeup.sleep(1_000, signal);
    clock.advance(1_000);
    await next;
  });

  it('a wake while busy makes the next sleep return at once; a stop ends a sleep', async () => {
    const clock = new ManualClock(0);
    const wakeup = new Wakeup(clock);
    wakeup.wake();
    await wakeup.sleep(60_000, new AbortController().signal);
    expect(clock.now()).toBe(0);
    const stop = new AbortController();
    const sleeping = wakeup.sleep(60_000, stop.signal);
    stop.abort();
    await sleeping;
    expect(clock.now()).toBe(0);
  });
});
