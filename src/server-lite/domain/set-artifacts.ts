/** The artifacts of a distribution set (every artifact of every module in it) with their module type keys. */
import type { App } from '../app.js';
import { setArtifactRows, setHeader, setMetadata, setModules } from '../store/distribution-sets.js';
import { mandatoryTypeIds } from '../store/types.js';

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
  const ds = setHeader(app.db, dsId);
  if (!ds) return undefined;
  const modules = setModules(app.db, dsId);
  const mandatory = mandatoryTypeIds(app.db, ds.type_id);
  const present = new Set(modules.map((m) => m.type_id));
  const metadata = Object.fromEntries(setMetadata(app.db, dsId).map((m) => [m.key, m.value]));
  return {
    id: ds.id,
    name: ds.name,
    version: ds.version,
    typeKey: ds.type_key,
    deleted: ds.deleted === 1,
    complete: modules.length > 0 && mandatory.every((m) => present.has(m)),
    artifacts: setArtifactRows(app.db, dsId).map((a) => ({
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
