/**
 * Feedback recorded offline (from bundle installs: `offline: true`, `actionId`, `recipeId`), carried out
 * of the gateway with `feedback export` and into the backend with `bundle upload-feedback`
 * (`POST offlineFeedback`, install-api.md). Export reads the durable outbox without emptying it: the
 * daemon still delivers the same records once online, and the server records each feedbackId once.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { SoupError } from '../../lib/errors.js';
import type { InstallApi } from '../install-api.js';
import type { StateStore } from '../store.js';

export interface OfflineRecord {
  actionId: string;
  recipeId: string;
  feedbackId: string;
  offline: true;
  [key: string]: unknown;
}

export interface OfflineFeedback {
  records: OfflineRecord[];
}

function isOfflineRecord(value: unknown): value is OfflineRecord {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v.offline === true && typeof v.actionId === 'string' && typeof v.feedbackId === 'string';
}

/** The offline records still in the outbox, oldest first. */
export function offlineRecords(store: StateStore): OfflineFeedback {
  const records: OfflineRecord[] = [];
  for (let after = 0; ; ) {
    const rows = store.outboxAfter(after, 500);
    if (rows.length === 0) break;
    for (const row of rows) {
      after = row.seq;
      let body: unknown;
      try {
        body = JSON.parse(row.body);
      } catch {
        continue;
      }
      if (isOfflineRecord(body)) records.push(body);
    }
  }
  return { records };
}

/** Writes the export atomically (a partial file is never left under the name). */
export async function writeOfflineFeedback(file: string, feedback: OfflineFeedback): Promise<void> {
  const partial = `${file}.tmp`;
  await writeFile(partial, `${JSON.stringify(feedback, null, 2)}\n`);
  await rename(partial, file);
}

/** Reads an export and checks its shape; SOUP_E_FEEDBACK naming the record at fault. */
export async function readOfflineFeedback(file: string): Promise<OfflineFeedback> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new SoupError('SOUP_E_FEEDBACK', `feedback: cannot read ${file} (${(err as Error).message})`);
  }
  const records = (value as { records?: unknown } | null)?.records;
  if (!Array.isArray(records))
    throw new SoupError('SOUP_E_FEEDBACK', `feedback: ${file} has no "records" list`);
  records.forEach((r, i) => {
    if (!isOfflineRecord(r))
      throw new SoupError(
        'SOUP_E_FEEDBACK',
        `feedback: ${file} records[${i}] is not offline feedback (needs actionId, feedbackId, offline: true)`,
      );
  });
  return { records: records as OfflineRecord[] };
}

/** POSTs the records to `offlineFeedback`; resolves with the server's counts. */
export async function uploadOfflineFeedback(
  api: InstallApi,
  feedback: OfflineFeedback,
  signal?: AbortSignal,
): Promise<number> {
  const status = await api.postJson(api.url('offlineFeedback'), feedback, signal);
  if (status < 200 || status >= 300)
    throw new SoupError('SOUP_E_HTTP', `POST ${api.url('offlineFeedback')}: HTTP ${status}`);
  return feedback.records.length;
}
