/**
 * Last poll times, batched: a gateway's first poll is written at once; later ones are kept in memory and
 * written together in one transaction by `flush()` (called every few seconds by the server, before every
 * Management API read of targets or systems, and on close), so a poll costs no database write — as
 * hawkBit batches its `lastTargetQuery` updates.
 */
import type { Database } from '../store/sqlite.js';
import { setLastPoll } from '../store/targets.js';

export class PollRecorder {
  private pending = new Map<number, { at: number; address: string }>();

  constructor(private readonly db: Database) {}

  record(targetId: number, lastPollAt: number | null, at: number, address: string): void {
    if (lastPollAt === null) {
      setLastPoll(this.db, targetId, at, address);
      return;
    }
    this.pending.set(targetId, { at, address });
  }

  flush(): void {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.db.transaction(() => {
      for (const [id, p] of batch) setLastPoll(this.db, id, p.at, p.address);
    })();
  }
}
