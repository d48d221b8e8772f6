/**
 * The one schema of server-lite, versioned by `PRAGMA user_version`. Every table has the common audit
 * fields of 003 (`created_by, created_at, last_modified_by, last_modified_at`, UTC milliseconds) where
 * the entity is user-managed. JSON columns hold structured values that are only read whole.
 */
import type { Database } from './sqlite.js';

const AUDIT = `created_by TEXT NOT NULL, created_at INTEGER NOT NULL,
  last_modified_by TEXT NOT NULL, last_modified_at INTEGER NOT NULL`;

const V1 = `
CREATE TABLE sm_types (
  id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, name TEXT NOT NULL, description TEXT,
  max_assignments INTEGER NOT NULL DEFAULT 1, colour TEXT, deleted INTEGER NOT NULL DEFAULT 0, ${AUDIT});
CREATE TABLE software_modules (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, version TEXT NOT NULL, description TEXT, vendor TEXT,
  type_id INTEGER NOT NULL REFERENCES sm_types(id), deleted INTEGER NOT NULL DEFAULT 0, ${AUDIT});
CREATE TABLE sm_metadata (
  module_id INTEGER NOT NULL REFERENCES software_modules(id) ON DELETE CASCADE, key TEXT NOT NULL,
  value TEXT NOT NULL, target_visible INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (module_id, key));
CREATE TABLE artifacts (
  id INTEGER PRIMARY KEY, module_id INTEGER NOT NULL REFERENCES software_modules(id) ON DELETE CASCADE,
  filename TEXT NOT NULL, md5 TEXT NOT NULL, sha1 TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
  stored INTEGER NOT NULL DEFAULT 1, ${AUDIT}, UNIQUE (module_id, filename));
CREATE TABLE ds_types (
  id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, name TEXT NOT NULL, description TEXT, colour TEXT,
  deleted INTEGER NOT NULL DEFAULT 0, ${AUDIT});
CREATE TABLE ds_type_modules (
  ds_type_id INTEGER NOT NULL REFERENCES ds_types(id) ON DELETE CASCADE,
  sm_type_id INTEGER NOT NULL REFERENCES sm_types(id), mandatory INTEGER NOT NULL,
  PRIMARY KEY (ds_type_id, sm_type_id));
CREATE TABLE distribution_sets (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, version TEXT NOT NULL, description TEXT,
  type_id INTEGER NOT NULL REFERENCES ds_types(id), required_migration_step INTEGER NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0, ${AUDIT});
CREATE TABLE ds_modules (
  ds_id INTEGER NOT NULL REFERENCES distribution_sets(id) ON DELETE CASCADE,
  module_id INTEGER NOT NULL REFERENCES software_modules(id), PRIMARY KEY (ds_id, module_id));
CREATE TABLE ds_metadata (
  ds_id INTEGER NOT NULL REFERENCES distribution_sets(id) ON DELETE CASCADE, key TEXT NOT NULL,
  value TEXT NOT NULL, PRIMARY KEY (ds_id, key));
CREATE TABLE tags (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, description TEXT, colour TEXT, ${AUDIT},
  UNIQUE (kind, name));
CREATE TABLE tag_links (
  tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE, entity_id TEXT NOT NULL,
  PRIMARY KEY (tag_id, entity_id));
CREATE TABLE recipes (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, version TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
  content TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]', lifecycle TEXT NOT NULL, validity TEXT NOT NULL,
  validation_result TEXT NOT NULL DEFAULT '[]', coverage TEXT, published TEXT,
  published_by TEXT, published_at INTEGER, approved_by TEXT, approved_at INTEGER,
  file BLOB, file_sha256 TEXT, ${AUDIT});
CREATE TABLE recipe_artifacts (
  recipe_id INTEGER NOT NULL REFERENCES recipes(id) ON DELETE CASCADE, artifact_id INTEGER NOT NULL,
  PRIMARY KEY (recipe_id, artifact_id));
CREATE TABLE signatures (
  id INTEGER PRIMARY KEY, recipe_id INTEGER NOT NULL REFERENCES recipes(id) ON DELETE CASCADE,
  format TEXT NOT NULL, value TEXT NOT NULL, created_by TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE targets (
  id INTEGER PRIMARY KEY, controller_id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, description TEXT,
  security_token TEXT NOT NULL, scope TEXT NOT NULL DEFAULT 'production', attributes TEXT NOT NULL DEFAULT '{}',
  last_poll_at INTEGER, address TEXT, last_report TEXT, last_report_at INTEGER, report_hash TEXT,
  report_changed_at INTEGER, report_requested INTEGER NOT NULL DEFAULT 1,
  matched_recipe_id INTEGER, matched_rc_recipe_id INTEGER, auto_confirm INTEGER NOT NULL DEFAULT 0, ${AUDIT});
CREATE TABLE recipe_matches (
  recipe_id INTEGER NOT NULL REFERENCES recipes(id) ON DELETE CASCADE, target_id INTEGER NOT NULL
  REFERENCES targets(id) ON DELETE CASCADE, PRIMARY KEY (recipe_id, target_id));
CREATE TABLE actions (
  id INTEGER PRIMARY KEY, target_id INTEGER NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
  kind TEXT NOT NULL, recipe_id INTEGER, ds_id INTEGER, status TEXT NOT NULL, result TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0, handling TEXT NOT NULL, maintenance_window TEXT,
  created_by TEXT NOT NULL, created_at INTEGER NOT NULL, closed_at INTEGER);
CREATE INDEX actions_target ON actions(target_id, status);
CREATE TABLE feedback (
  id INTEGER PRIMARY KEY, action_id INTEGER NOT NULL REFERENCES actions(id) ON DELETE CASCADE,
  feedback_id TEXT, channel TEXT NOT NULL, received_at INTEGER NOT NULL, offline INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL, UNIQUE (action_id, feedback_id));
CREATE TABLE tenant_config (key TEXT PRIMARY KEY, value TEXT NOT NULL, ${AUDIT});
CREATE TABLE oauth_tokens (
  token_hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, scope TEXT NOT NULL, expires_at INTEGER NOT NULL);
`;

/** `targets.retry_floor`: failed system updates up to this action id no longer block a reopening. */
const V2 = 'ALTER TABLE targets ADD COLUMN retry_floor INTEGER;';

const MIGRATIONS: readonly string[] = [V1, V2];

/** Applies every migration above the database's `user_version`, each in one transaction. */
export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
