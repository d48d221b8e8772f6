/**
 * Install API rate limits (`install-api.md`): fixed one-minute windows counted per (credential,
 * controllerId), GETs and writes apart. Over the limit → 429 with `Retry-After` (seconds to the window's end).
 */
import type { Clock } from '../../lib/clock.js';
import { ApiError } from '../http/errors.js';

interface Window {
  start: number;
  count: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, Window>();
  private lastSweep = 0;

  constructor(
    private readonly clock: Clock,
    private readonly limits: { getPerMinute: number; writePerMinute: number },
  ) {}

  /** Counts one request; throws 429 when the window is full. */
  hit(credential: string, controllerId: string, write: boolean): void {
    const now = this.clock.now();
    if (now - this.lastSweep > 120_000) this.sweep(now);
    const key = `${write ? 'w' : 'g'}\u0000${credential}\u0000${controllerId}`;
    let w = this.windows.get(key);
    if (!w || now - w.start >= 60_000) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    const limit = write ? this.limits.writePerMinute : this.limits.getPerMinute;
    if (w.count >= limit) {
      const retry = Math.max(1, Math.ceil((w.start + 60_000 - now) / 1000));
      throw new ApiError(
        429,
        'soup.request.tooManyRequests',
        `more than ${limit} ${write ? 'writes' : 'GETs'} per minute for ${controllerId}`,
        undefined,
        { 'retry-after': String(retry) },
      );
    }
    w.count++;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [k, w] of this.windows) if (now - w.start >= 60_000) this.windows.delete(k);
  }
}
