/**
 * Time as an injected dependency: logic never calls Date.now() or setTimeout directly.
 * Tests pass a manual clock; production passes `systemClock`.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** A clock moved by hand, for tests of anything timed. */
export class ManualClock implements Clock {
  private t: number;
  private waiters: { at: number; resolve: () => void }[] = [];

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const waiter = { at: this.t + ms, resolve };
      this.waiters.push(waiter);
      signal?.addEventListener(
        'abort',
        () => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  /** When the earliest sleeper is due (undefined: nobody sleeps). */
  nextDue(): number | undefined {
    let due: number | undefined;
    for (const w of this.waiters) if (due === undefined || w.at < due) due = w.at;
    return due;
  }

  /**
   * Settles `work` with time moving only when nothing else can: every callback already queued runs
   * (in-memory links deliver on the next turn of the event loop), then the clock jumps to the earliest
   * sleeper, and so on. For work whose only waiting is on this clock and in-process queues; a wait on
   * anything else (a real socket, a file) counts as idle and the clock would run ahead of it.
   */
  async run<T>(work: Promise<T>, options: { idleTurns?: number; maxMs?: number } = {}): Promise<T> {
    let settled = false;
    const done = work.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    const limit = this.t + (options.maxMs ?? 3_600_000);
    while (!settled) {
      for (let i = 0; i < (options.idleTurns ?? 10) && !settled; i++)
        await new Promise<void>((resolve) => setImmediate(resolve));
      if (settled) break;
      const due = this.nextDue();
      if (due === undefined || due > limit)
        throw new Error(`ManualClock.run: the work is stuck, with no sleeper due before ${limit}`);
      this.advance(due - this.t);
    }
    await done;
    return work;
  }

  /** Moves time forward and wakes every sleeper whose deadline has passed. */
  advance(ms: number): void {
    this.t += ms;
    const due = this.waiters.filter((w) => w.at <= this.t);
    this.waiters = this.waiters.filter((w) => w.at > this.t);
    for (const w of due) w.resolve();
  }
}
