/**
 * The daemon's sleep between rounds: until the polling interval passed, something woke it (`soup-agent
 * check`, a consent answer, an offline install), or the agent stops. Never throws.
 */
import type { Clock } from '../lib/clock.js';

export class Wakeup {
  private controller = new AbortController();

  constructor(private readonly clock: Clock) {}

  wake(): void {
    this.controller.abort();
  }

  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    // a wake that came while we were busy counts: go round at once
    if (this.controller.signal.aborted) {
      this.controller = new AbortController();
      return;
    }
    try {
      await this.clock.sleep(ms, AbortSignal.any([signal, this.controller.signal]));
    } catch {
      // woken or stopping
    }
    if (this.controller.signal.aborted) this.controller = new AbortController();
  }
}
