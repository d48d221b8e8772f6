/**
 * Cancel handling: a cancel for the action in progress goes to the update runner once per link (refused
 * ones answered at once); a cancel for anything else is closed as done. Real state file; the Install
 * API and the runner are stand-ins recording the calls.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CancelHandler } from '../../src/agent/cancel.js';
import { StateStore } from '../../src/agent/store.js';
import { ManualClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const HREF = 'http://127.0.0.1:1/T/controller/v1/gw/cancelAction/5?c=1';

function setup(running: string | undefined, answer: 'accepted' | 'refused') {
  const dir = mkdtempSync(join(tmpdir(), 'soup-cancel-'));
  const store = StateStore.open(dir);
  cleanups.push(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const calls = { requested: [] as string[], refused: [] as string[], delivered: 0, fetched: 0 };
  const handler = new CancelHandler({
    api: {
      cancelAction: async () => {
        calls.fetched++;
        return { id: '5', cancelAction: { stopId: '17' } };
      },
    },
    runner: {
      current: running === undefined ? undefined : ({ ctx: { actionId: running } } as never),
      requestCancel: (href: string) => {
        calls.requested.push(href);
        return answer;
      },
      refuseCancelNow: (href: string) => calls.refused.push(href),
    },
    store,
    clock: new ManualClock(7_000),
    log: silentLogger(),
    controllerId: 'gw',
    deliver: async () => {
      calls.delivered++;
    },
  });
  return { handler, store, calls };
}

const signal = new AbortController().signal;

describe('cancel handling', () => {
  it('the action in progress: the runner takes the cancel, once per link', async () => {
    const { handler, store, calls } = setup('17', 'accepted');
    await handler.handle({ href: HREF }, signal);
    await handler.handle({ href: HREF }, signal);
    expect(calls).toMatchObject({ requested: [HREF], refused: [], delivered: 0, fetched: 2 });
    expect(store.outboxSize()).toBe(0);
  });

  it('past the point of no return: refused and the refusal delivered at once', async () => {
    const { handler, calls } = setup('17', 'refused');
    await handler.handle({ href: HREF }, signal);
    expect(calls).toMatchObject({ requested: [HREF], refused: [HREF], delivered: 1 });
  });

  it('an action that does not run here: closed as done, to the cancel link, delivered', async () => {
    const { handler, store, calls } = setup(undefined, 'accepted');
    await handler.handle({ href: HREF }, signal);
    expect(calls.requested).toEqual([]);
    expect(calls.delivered).toBe(1);
    const [row] = store.outbox();
    expect(row).toMatchObject({
      actionId: '17',
      url: 'http://127.0.0.1:1/T/controller/v1/gw/cancelAction/5/feedback',
      createdAt: 7_000,
    });
    expect(JSON.parse(row?.body ?? '{}')).toEqual({
      timestamp: 7_000,
      status: { execution: 'closed', result: { finished: 'success' }, details: ['nothing was running'] },
    });
    // the same cancel again is the same feedback: one row
    await handler.handle({ href: HREF }, signal);
    expect(store.outboxSize()).toBe(1);
  });
});
