/**
 * Wire pacing for simulators: a pty has no baud rate, so each direction of a simulated link delivers
 * bytes no faster than `bytesPerSec` (baud / 10 for 8N1). A chunk of n bytes is delivered when its last
 * byte would have crossed the wire, after everything queued before it; the schedule is kept on a
 * virtual timeline, so timer lateness never accumulates. Delays under a millisecond are not slept.
 */
import type { Clock } from '../lib/clock.js';

export class Pacer {
  private busyUntil = 0;
  private tail: Promise<void> = Promise.resolve();
  private generation = 0;

  constructor(
    private readonly bytesPerSec: number,
    private readonly clock: Clock,
  ) {}

  /** Runs `deliver` in order, once `bytes` more bytes would have crossed the wire. */
  schedule(bytes: number, deliver: () => void | Promise<void>): Promise<void> {
    const generation = this.generation;
    let at = 0;
    if (this.bytesPerSec > 0) {
      const start = Math.max(this.clock.now(), this.busyUntil);
      this.busyUntil = start + (bytes * 1000) / this.bytesPerSec;
      at = this.busyUntil;
    }
    this.tail = this.tail
      .then(async () => {
        const wait = at - this.clock.now();
        if (wait >= 1) await this.clock.sleep(wait);
        if (generation === this.generation) await deliver();
      })
      .catch(() => {});
    return this.tail;
  }

  /** Drops everything still queued (a link that went away). */
  clear(): void {
    this.generation++;
    this.busyUntil = 0;
  }
}
