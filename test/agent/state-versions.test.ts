/**
 * Versioned state: the state file's layout (`user_version`, migrations in store.ts) and the action
 * context's (`version`, upgrades in action.ts). The file an agent of today's layout leaves mid-update is
 * built from the committed DDL of that layout (test/fixtures/agent-state/v0.sql) and resumed to the end.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CONTEXT_VERSION, upgradeContext } from '../../src/agent/action.js';
import { flushOutbox } from '../../src/agent/outbox.js';
import { STATE_FILE, STATE_VERSION, StateStore } from '../../src/agent/store.js';
import { UpdateRunner } from '../../src/agent/update-runner.js';
import { isSoupError } from '../../src/lib/errors.js';
import { silentLogger } from '../../src/lib/log.js';
import { final, gatewayImage, rig } from './update-rig.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
const V0_DDL = readFileSync(new URL('../fixtures/agent-state/v0.sql', import.meta.url), 'utf8');

describe('action context versions', () => {
  it('a context of the first layout (no version) is upgraded; this agent writes its own version', () => {
    const v0 = { kind: 'system', actionId: '17', href: 'h', feedbackUrl: 'f', modules: [], startedAt: 1 };
    expect(upgradeContext(v0)).toEqual({ ...v0, version: CONTEXT_VERSION });
    expect(CONTEXT_VERSION).toBe(1);
  });

  it('a newer, invalid or non-object context is refused with one line', () => {
    for (const [value, message] of [
      [{ version: CONTEXT_VERSION + 1 }, `action context version ${CONTEXT_VERSION + 1} is newer`],
      [{ version: 'x' }, 'action context version "x" is invalid'],
      [[], 'the action context is not an object'],
    ] as const) {
      let caught: unknown;
      try {
        upgradeContext(value);
      } catch (err) {
        caught = err;
      }
      expect(isSoupError(caught, 'SOUP_E_STATE')).toBe(true);
      expect((caught as Error).message).toContain(message);
    }
  });
});

describe('state file versions', () => {
  it('a new file gets this layout version; a file newer than the agent is refused, untouched', async () => {
    const r = await rig();
    const dir = join(r.dir, 'other');
    const store = StateStore.open(dir);
    expect(store.db.pragma('user_version', { simple: true })).toBe(STATE_VERSION);
    store.db.pragma(`user_version = ${STATE_VERSION + 1}`);
    store.set('kept', 1);
    store.close();
    expect(() => StateStore.open(dir)).toThrow(
      `has layout version ${STATE_VERSION + 1}, newer than this agent's ${STATE_VERSION}`,
    );
    const again = new Database(join(dir, STATE_FILE), { readonly: true });
    expect(again.pragma('user_version', { simple: true })).toBe(STATE_VERSION + 1);
    expect(again.prepare("SELECT value FROM kv WHERE key = 'kept'").get()).toEqual({ value: '1' });
    again.close();
  });

  it("a state file in today's layout (v0), left mid-update in downloading, is migrated and resumed to success", async () => {
    const r = await rig();
    const bytes = randomBytes(200_000);
    await r.publish([gatewayImage(bytes)]);
    // an agent runs the action up to downloading and is stopped there (a crash: nothing more is written)
    const stop = new AbortController();
    let runner: UpdateRunner | undefined;
    const first = new UpdateRunner({
      ...r.deps,
      onFeedback: () => {
        if (runner?.current?.state.step === 'downloading') stop.abort();
      },
    });
    runner = first;
    r.start(first);
    expect(await first.advance(stop.signal)).toEqual({ finished: false });
    await r.flush();
    const before = r.backend.feedback.length;
    const row = r.store.loadAction<{ step: string }, Record<string, unknown>>();
    expect(row?.state.step).toBe('downloading');
    const kv = r.store.db.prepare('SELECT key, value FROM kv').all() as { key: string; value: string }[];
    const outbox = r.store.outbox();
    r.store.close();

    // the same state as an agent of today's layout wrote it: v0 tables, context without a version
    const file = join(r.deps.config.dataDir, STATE_FILE);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
    const old = new Database(file);
    old.exec(V0_DDL);
    const { version: _dropped, ...v0Context } = row?.context ?? {};
    old
      .prepare(
        'INSERT INTO current_action (slot, action_id, state, context, resumes, updated_at) VALUES (1, ?, ?, ?, 0, ?)',
      )
      .run('17', JSON.stringify(row?.state), JSON.stringify(v0Context), row?.updatedAt ?? 0);
    for (const { key, value } of kv) old.prepare('INSERT INTO kv (key, value) VALUES (?, ?)').run(key, value);
    for (const o of outbox)
      old
        .prepare('INSERT INTO outbox (feedback_id, action_id, url, body, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(o.feedbackId, o.actionId, o.url, o.body, o.createdAt);
    expect(old.pragma('user_version', { simple: true })).toBe(0);
    old.close();

    // a new agent opens it: migrated, the context upgraded, the action resumed where it stood
    const store = StateStore.open(r.deps.config.dataDir);
    try {
      expect(store.db.pragma('user_version', { simple: true })).toBe(STATE_VERSION);
      const deps = { ...r.deps, store };
      const resumed = new UpdateRunner(deps);
      resumed.recoverOnStart();
      expect(resumed.current?.state.step).toBe('downloading');
      expect(resumed.current?.ctx.version).toBe(CONTEXT_VERSION);
      expect(await resumed.advance(new AbortController().signal)).toEqual({ finished: true });
      await flushOutbox(store, deps.api, silentLogger());
      expect(readFileSync(r.target).equals(bytes)).toBe(true);
      expect(store.get('lastResult')).toMatchObject({ actionId: '17', finished: 'success' });
      expect(store.loadAction()).toBeUndefined();
      expect(final(r.backend).status).toMatchObject({ execution: 'closed', result: { finished: 'success' } });
      // the feedback before the stop is not sent again: each step reported once
      const phases = r.backend.feedback.map((f) => f.phase);
      expect(phases.slice(0, before)).toEqual([
        'fetching',
        'verifying',
        'matching',
        'waiting-window',
        'downloading',
      ]);
      expect(new Set(r.backend.feedback.map((f) => f.feedbackId)).size).toBe(r.backend.feedback.length);
    } finally {
      store.close();
    }
  });
});
