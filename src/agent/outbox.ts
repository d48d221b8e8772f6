/**
 * The durable feedback outbox (`agent.md`): feedback is written to SQLite in the same transaction as
 * the step it reports, and delivered later in order, oldest first. A `feedbackId` derived from the
 * action and the step makes a repeated enqueue (after a crash) and a repeated POST harmless: the server
 * records a feedbackId once. `200` → delivered; `410` (action closed) → dropped; other 4xx → dropped
 * and logged (the body will never be accepted); network errors, 5xx and 429 → stop, retry later.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { isRetryable, oneLine } from '../lib/errors.js';
import type { InstallApi } from './install-api.js';
import type { StateStore } from './store.js';

/** A stable UUID-shaped id for one (controller, action, key): the same step reported twice is one feedback. */
export function feedbackIdFor(controllerId: string, actionId: string, key: string): string {
  const h = createHash('sha256').update(`${controllerId}\n${actionId}\n${key}`).digest('hex');
  // UUID v8 layout (RFC 9562, custom): version nibble 8, variant 10xx
  const variant = ((Number.parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface FlushResult {
  delivered: number;
  dropped: number;
  /** Rows left because the server could not be reached. */
  pending: number;
}

export async function flushOutbox(
  store: StateStore,
  api: InstallApi,
  log: Logger,
  signal?: AbortSignal,
): Promise<FlushResult> {
  const result: FlushResult = { delivered: 0, dropped: 0, pending: 0 };
  for (;;) {
    const rows = store.outbox(50);
    if (rows.length === 0) break;
    for (const row of rows) {
      let status: number;
      try {
        // a relative URL (feedback recorded offline) goes to the server the agent talks to now
        const url = /^https?:\/\//.test(row.url) ? row.url : api.url(row.url);
        status = await api.postJson(url, JSON.parse(row.body), signal);
      } catch (err) {
        if (isRetryable(err) || signal?.aborted) {
          store.failOutbox(row.seq, oneLine(err));
          result.pending = store.outboxSize();
          log.warn({ feedbackId: row.feedbackId, err: oneLine(err) }, 'feedback not delivered: will retry');
          return result;
        }
        log.error(
          { feedbackId: row.feedbackId, actionId: row.actionId, err: oneLine(err) },
          'feedback refused by the server: dropped',
        );
        store.ackOutbox(row.seq);
        result.dropped++;
        continue;
      }
      store.ackOutbox(row.seq);
      if (status === 410) {
        log.info(
          { feedbackId: row.feedbackId, actionId: row.actionId },
          'action closed on the server: feedback dropped',
        );
        result.dropped++;
      } else result.delivered++;
    }
  }
  return result;
}

/**
 * Outbox delivery for a long-running process: one flush at a time, in order; a request while one runs
 * makes it run once more. Never throws (a failed delivery is retried with the next request).
 */
export function createDelivery(
  store: StateStore,
  api: InstallApi,
  log: Logger,
  signal: AbortSignal,
): () => Promise<void> {
  let delivering: Promise<void> | undefined;
  let again = false;
  return () => {
    if (delivering !== undefined) {
      again = true;
      return delivering;
    }
    delivering = (async () => {
      try {
        do {
          again = false;
          await flushOutbox(store, api, log, signal);
        } while (again && !signal.aborted);
      } catch (err) {
        log.warn({ err: oneLine(err) }, 'feedback delivery failed');
      } finally {
        delivering = undefined;
      }
    })();
    return delivering;
  };
}
