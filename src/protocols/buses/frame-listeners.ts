/**
 * The `onFrame` subscriptions of a FrameBus: each a filter and a listener, called in subscription order;
 * a listener's exception stays with it and the bus keeps going.
 */
import type { CanFrame } from './types.js';

interface Subscription {
  filter: (frame: CanFrame) => boolean;
  listener: (frame: CanFrame) => void;
}

export class FrameListeners {
  private readonly subscriptions = new Set<Subscription>();

  /** `FrameBus.onFrame`: returns the unsubscribe function. */
  add(filter: (frame: CanFrame) => boolean, listener: (frame: CanFrame) => void): () => void {
    const sub = { filter, listener };
    this.subscriptions.add(sub);
    return () => this.subscriptions.delete(sub);
  }

  /** Hands `frame` to every listener whose filter takes it, as `give(frame)` (default: the frame itself). */
  dispatch(frame: CanFrame, give: (frame: CanFrame) => CanFrame = (f) => f): void {
    for (const sub of [...this.subscriptions]) {
      if (!sub.filter(frame)) continue;
      try {
        sub.listener(give(frame));
      } catch {
        // a listener's failure is its own
      }
    }
  }

  clear(): void {
    this.subscriptions.clear();
  }
}
