/**
 * The agent's durable state: one SQLite file in `dataDir` (WAL, synchronous FULL). Every write is one
 * transaction that is on disk when the call returns, so the update runner persists a step before starting it.
 *
 * Tables: `kv` (small facts: last poll, last report hash, installed recipe, last result, versions the
 * agent installed on local modules), `current_action` (the one action in progress: machine state and
 * its context), `checkpoints` (handler-private resume data per action and module), `outbox` (feedback
 * not yet acknowledged, in order), `finished_actions` (actions already closed here, never re-run),
 * `consent` (answers given with `soup-agent consent`).
 *
 * The file's layout is versioned (`PRAGMA user_version`): `MIGRATIONS` brings a file of any earlier
 * version to this agent's, in order, each step in one transaction, so an agent updated mid-update opens
 * the state its predecessor left. A file newer than the agent is refused rather than misread. The
 * action context inside `current_action` carries its own version (action.ts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SoupError } from '../lib/errors.js';
import { type Database, openDatabase } from './sqlite.js';

/**
 * The migrations, in order: entry `n` takes the file from version `n` to `n + 1`. Version 0 is a new
 * file or one written before the layout was versioned (its tables are those of version 1, so the
 * first migration only creates what is missing). Never change an entry: add one.
 */
export const MIGRATIONS: readonly string[] = [
  `
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS current_action (
  slot INTEGER PRIMARY KEY CHECK (slot = 1), action_id TEXT NOT NULL, state TEXT NOT NULL,
  context TEXT NOT NULL, resumes INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (
  action_id TEXT NOT NULL, module TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (action_id, module));
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, feedback_id TEXT NOT NULL UNIQUE, action_id TEXT NOT NULL,
  url TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT);
CREATE TABLE IF NOT EXISTS finished_actions (
  action_id TEXT PRIMARY KEY, result TEXT NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS consent (
  action_id TEXT PRIMARY KEY, decision TEXT NOT NULL, by TEXT NOT NULL, at INTEGER NOT NULL);
`,
];

/** The layout version this agent writes. */
export const STATE_VERSION = MIGRATIONS.length;

/** Brings the file to STATE_VERSION; throws SOUP_E_STATE on a file newer than this agent. */
function migrate(db: Database, path: string): void {
  const at = db.pragma('user_version', { simple: true }) as number;
  if (at > STATE_VERSION)
    throw new SoupError(
      'SOUP_E_STATE',
      `state: ${path} has layout version ${at}, newer than this agent's ${STATE_VERSION}: install a newer soup-agent`,
    );
  for (let v = at; v < STATE_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

export const STATE_FILE = 'agent-state.db';

export interface CurrentActionRow<S, C> {
  actionId: string;
  state: S;
  context: C;
  /** How many times the agent started with this action in this state (crash-loop cap). */
  resumes: number;
  updatedAt: number;
}

export interface OutboxRow {
  seq: number;
  feedbackId: string;
  actionId: string;
  url: string;
  body: string;
  createdAt: number;
  attempts: number;
}

export interface ConsentAnswer {
  actionId: string;
  decision: 'accept' | 'deny';
  by: string;
  at: number;
}

export class StateStore {
  readonly db: Database;

  private constructor(db: Database) {
    this.db = db;
  }

  /** Opens (creating when needed) the state file in `dataDir`. */
  static open(dataDir: string): StateStore {
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (err) {
      throw new SoupError(
        'SOUP_E_STATE',
        `state: cannot create ${dataDir} (${(err as NodeJS.ErrnoException).code})`,
      );
    }
    const path = join(dataDir, STATE_FILE);
    const db = openDatabase(path);
    try {
      migrate(db, path);
    } catch (err) {
      db.close();
      throw err;
    }
    return new StateStore(db);
  }

  /** Opens an existing state file for reading (status while the daemon runs). */
  static openExisting(dataDir: string): StateStore {
    const db = openDatabase(join(dataDir, STATE_FILE), { readonly: true });
    return new StateStore(db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  // ---- kv ------------------------------------------------------------------------------------------

  get<T>(key: string): T | undefined {
    const row = this.db.prepare<[string]>('SELECT value FROM kv WHERE key = ?').get(key) as
      | { value: string }
      | undefined;
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  set(key: string, value: unknown): void {
    this.db
      .prepare<[string, string]>(
        'INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      )
      .run(key, JSON.stringify(value));
  }

  delete(key: string): void {
    this.db.prepare<[string]>('DELETE FROM kv WHERE key = ?').run(key);
  }

  /** Several writes in one transaction. */
  atomically<R>(fn: () => R): R {
    return this.db.transaction(fn)();
  }

  // ---- current action ----------------------------------------------------------------------------

  loadAction<S, C>(): CurrentActionRow<S, C> | undefined {
    const row = this.db
      .prepare('SELECT action_id, state, context, resumes, updated_at FROM current_action WHERE slot = 1')
      .get() as
      | { action_id: string; state: string; context: string; resumes: number; updated_at: number }
      | undefined;
    if (row === undefined) return undefined;
    return {
      actionId: row.action_id,
      state: JSON.parse(row.state) as S,
      context: JSON.parse(row.context) as C,
      resumes: row.resumes,
      updatedAt: row.updated_at,
    };
  }

  /** Writes the action's state and context; a state change resets the resume counter. */
  saveAction(actionId: string, state: unknown, context: unknown, now: number, stateChanged = true): void {
    const stateJson = JSON.stringify(state);
    this.db
      .prepare<[string, string, string, number, string]>(
        `INSERT INTO current_action (slot, action_id, state, context, resumes, updated_at) VALUES (1, ?, ?, ?, 0, ?)
         ON CONFLICT(slot) DO UPDATE SET action_id = excluded.action_id, state = excluded.state, context = excluded.context,
           resumes = CASE WHEN current_action.state = ? THEN current_action.resumes ELSE 0 END, updated_at = excluded.updated_at`,
      )
      .run(actionId, stateJson, JSON.stringify(context), now, stateChanged ? '' : stateJson);
  }

  /** Counts one more start of the agent in the persisted state; returns the new count. */
  countResume(): number {
    this.db.prepare('UPDATE current_action SET resumes = resumes + 1 WHERE slot = 1').run();
    const row = this.db.prepare('SELECT resumes FROM current_action WHERE slot = 1').get() as
      | { resumes: number }
      | undefined;
    return row?.resumes ?? 0;
  }

  /** Ends the current action: records it as finished and forgets its checkpoints, in one transaction. */
  finishAction(actionId: string, result: unknown, now: number): void {
    this.atomically(() => {
      this.db.prepare('DELETE FROM current_action WHERE slot = 1').run();
      this.db.prepare<[string]>('DELETE FROM checkpoints WHERE action_id = ?').run(actionId);
      this.db
        .prepare<[string, string, number]>(
          'INSERT OR REPLACE INTO finished_actions (action_id, result, at) VALUES (?, ?, ?)',
        )
        .run(actionId, JSON.stringify(result), now);
    });
  }

  isFinished(actionId: string): boolean {
    return (
      this.db.prepare<[string]>('SELECT 1 FROM finished_actions WHERE action_id = ?').get(actionId) !==
      undefined
    );
  }

  // ---- handler checkpoints -----------------------------------------------------------------------

  loadCheckpoint<T>(actionId: string, module: string): T | undefined {
    const row = this.db
      .prepare<[string, string]>('SELECT value FROM checkpoints WHERE action_id = ? AND module = ?')
      .get(actionId, module) as { value: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  saveCheckpoint(actionId: string, module: string, value: unknown): void {
    this.db
      .prepare<[string, string, string]>(
        'INSERT OR REPLACE INTO checkpoints (action_id, module, value) VALUES (?, ?, ?)',
      )
      .run(actionId, module, JSON.stringify(value));
  }

  // ---- outbox ------------------------------------------------------------------------------------

  enqueue(row: Omit<OutboxRow, 'seq' | 'attempts'>): void {
    this.db
      .prepare<[string, string, string, string, number]>(
        'INSERT OR IGNORE INTO outbox (feedback_id, action_id, url, body, created_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(row.feedbackId, row.actionId, row.url, row.body, row.createdAt);
  }

  outbox(limit = 100): OutboxRow[] {
    const rows = this.db
      .prepare<[number]>(
        'SELECT seq, feedback_id, action_id, url, body, created_at, attempts FROM outbox ORDER BY seq LIMIT ?',
      )
      .all(limit) as {
      seq: number;
      feedback_id: string;
      action_id: string;
      url: string;
      body: string;
      created_at: number;
      attempts: number;
    }[];
    return rows.map((r) => ({
      seq: r.seq,
      feedbackId: r.feedback_id,
      actionId: r.action_id,
      url: r.url,
      body: r.body,
      createdAt: r.created_at,
      attempts: r.attempts,
    }));
  }

  outboxSize(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n;
  }

  ackOutbox(seq: number): void {
    this.db.prepare<[number]>('DELETE FROM outbox WHERE seq = ?').run(seq);
  }

  failOutbox(seq: number, error: string): void {
    this.db
      .prepare<[string, number]>('UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE seq = ?')
      .run(error, seq);
  }

  // ---- consent -----------------------------------------------------------------------------------

  saveConsent(answer: ConsentAnswer): void {
    this.db
      .prepare<[string, string, string, number]>(
        'INSERT OR REPLACE INTO consent (action_id, decision, by, at) VALUES (?, ?, ?, ?)',
      )
      .run(answer.actionId, answer.decision, answer.by, answer.at);
  }

  consentFor(actionId: string): ConsentAnswer | undefined {
    const row = this.db
      .prepare<[string]>('SELECT action_id, decision, by, at FROM consent WHERE action_id = ?')
      .get(actionId) as
      | { action_id: string; decision: 'accept' | 'deny'; by: string; at: number }
      | undefined;
    return row === undefined
      ? undefined
      : { actionId: row.action_id, decision: row.decision, by: row.by, at: row.at };
  }
}
