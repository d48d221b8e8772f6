/**
 * Default software module types and distribution set types (`management-api.md`, "Resources"),
 * inserted once into an empty database.
 */
import type { Database } from './sqlite.js';

const SM_TYPES: [key: string, name: string, maxAssignments: number][] = [
  ['firmware', 'Firmware', 1],
  ['application', 'Application', 2147483647],
  ['preinstall', 'Pre-install script', 1],
  ['postinstall', 'Post-install script', 1],
  ['shellscript', 'Shell script', 1],
  ['releasenotes', 'Release notes', 1],
  ['license', 'License', 1],
];

const DS_TYPES: [key: string, name: string, optional: string[]][] = [
  ['firmware', 'Firmware', ['firmware', 'application']],
  ['scripts', 'Scripts', ['preinstall', 'postinstall', 'shellscript']],
  ['system', 'System', ['releasenotes', 'license', 'preinstall', 'postinstall', 'shellscript']],
];

export function seedDefaults(db: Database, now: number): void {
  const row = db.prepare('SELECT COUNT(*) AS n FROM sm_types').get() as { n: number };
  if (row.n > 0) return;
  db.transaction(() => {
    const smIds = new Map<string, number>();
    const insSm = db.prepare(
      `INSERT INTO sm_types (key, name, description, max_assignments, created_by, created_at, last_modified_by, last_modified_at)
       VALUES (?, ?, ?, ?, 'system', ?, 'system', ?)`,
    );
    for (const [key, name, max] of SM_TYPES) {
      const r = insSm.run(key, name, `default type ${key}`, max, now, now);
      smIds.set(key, Number(r.lastInsertRowid));
    }
    const insDs = db.prepare(
      `INSERT INTO ds_types (key, name, description, created_by, created_at, last_modified_by, last_modified_at)
       VALUES (?, ?, ?, 'system', ?, 'system', ?)`,
    );
    const insLink = db.prepare(
      'INSERT INTO ds_type_modules (ds_type_id, sm_type_id, mandatory) VALUES (?, ?, 0)',
    );
    for (const [key, name, optional] of DS_TYPES) {
      const r = insDs.run(key, name, `default type ${key}`, now, now);
      for (const sm of optional) insLink.run(Number(r.lastInsertRowid), smIds.get(sm));
    }
  })();
}
