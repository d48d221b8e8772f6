/** The artifacts of a distribution set (every artifact of every module in it) with their module type keys. */
import type { App } from '../app.js';

export interface SetArtifact {
  id: number;
  moduleId: number;
  filename: string;
  size: number;
  sha256: string;
  sha1: string;
  md5: string;
  stored: boolean;
  /** Software module type key: the artifact's `type` in the recipe file. */
  typeKey: string;
}

export interface SetInfo {
  id: number;
  name: string;
  version: string;
  typeKey: string;
  deleted: boolean;
  complete: boolean;
  artifacts: SetArtifact[];
  metadata: Record<string, string>;
}

export function setInfo(app: App, dsId: number): SetInfo | undefined {
  const ds = app.db
    .prepare(
      `SELECT d.id, d.name, d.version, d.deleted, d.type_id, t.key AS type_key FROM distribution_sets d
       JOIN ds_types t ON t.id = d.type_id WHERE d.id = ?`,
    )
    .get(dsId) as
    | { id: number; name: string; version: string; deleted: number; type_id: number; type_key: string }
    | undefined;
  if (!ds) return undefined;
  const modules = app.db
    .prepare(
      'SELECT m.id, m.type_id FROM ds_modules d JOIN software_modules m ON m.id = d.module_id WHERE d.ds_id = ?',
    )
    .all(dsId) as { id: number; type_id: number }[];
  const mandatory = app.db
    .prepare('SELECT sm_type_id FROM ds_type_modules WHERE ds_type_id = ? AND mandatory = 1')
    .all(ds.type_id) as { sm_type_id: number }[];
  const present = new Set(modules.map((m) => m.type_id));
  const artifacts = app.db
    .prepare(
      `SELECT a.id, a.module_id, a.filename, a.size, a.sha256, a.sha1, a.md5, a.stored, t.key AS type_key
       FROM ds_modules d JOIN software_modules m ON m.id = d.module_id JOIN sm_types t ON t.id = m.type_id
       JOIN artifacts a ON a.module_id = m.id WHERE d.ds_id = ? ORDER BY m.id, a.id`,
    )
    .all(dsId) as {
    id: number;
    module_id: number;
    filename: string;
    size: number;
    sha256: string;
    sha1: string;
    md5: string;
    stored: number;
    type_key: string;
  }[];
  const metadata = Object.fromEntries(
    (
      app.db.prepare('SELECT key, value FROM ds_metadata WHERE ds_id = ?').all(dsId) as {
        key: string;
        value: string;
      }[]
    ).map((m) => [m.key, m.value]),
  );
  return {
    id: ds.id,
    name: ds.name,
    version: ds.version,
    typeKey: ds.type_key,
    deleted: ds.deleted === 1,
    complete: modules.length > 0 && mandatory.every((m) => present.has(m.sm_type_id)),
    artifacts: artifacts.map((a) => ({
      id: a.id,
      moduleId: a.module_id,
      filename: a.filename,
      size: a.size,
      sha256: a.sha256,
      sha1: a.sha1,
      md5: a.md5,
      stored: a.stored === 1,
      typeKey: a.type_key,
    })),
    metadata,
  };
}

/**
 * The artifact a handler installs: metadata `imageFileName`, else the set's only artifact, else its only
 * artifact of a `firmware` module. A string is the reason none can be chosen.
 */
export function imageArtifact(set: SetInfo, imageFileName: string | undefined): SetArtifact | string {
  if (imageFileName !== undefined) {
    const found = set.artifacts.filter((a) => a.filename === imageFileName);
    if (found.length === 1) return found[0] as SetArtifact;
    return found.length === 0
      ? `distribution set ${set.id} has no artifact ${imageFileName}`
      : `distribution set ${set.id} has ${found.length} artifacts named ${imageFileName}`;
  }
  if (set.artifacts.length === 1) return set.artifacts[0] as SetArtifact;
  const firmware = set.artifacts.filter((a) => a.typeKey === 'firmware');
  if (firmware.length === 1) return firmware[0] as SetArtifact;
  return set.artifacts.length === 0
    ? `distribution set ${set.id} has no artifact`
    : `distribution set ${set.id} has ${set.artifacts.length} artifacts: metadata imageFileName must name one`;
}
