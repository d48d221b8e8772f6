/**
 * The offline bundle (`agent.md`, "Offline bundles"): one tar file, entries
 *
 *   bundle.json        {format: "soup-bundle/1", tenant, controllerId, actionId, recipe: {id, name, version}, createdAt}
 *   recipe-file.json   the exact signed bytes of the recipe file
 *   signatures.json    {signatures: [{id?, format: "jws", value}]} as the Install API serves them
 *   artifacts/<id>     every artifact the recipe file names, by its id's path segment (lib/path-segment.ts)
 *
 * Nothing else is allowed in a bundle; entries are plain files only (no links, no absolute or `..` paths).
 */
import * as generated from '../../generated/bundle-manifest.js';
import { SoupError } from '../../lib/errors.js';
import { decodePathSegment, pathSegment } from '../../lib/path-segment.js';
import { validatorOf } from '../../lib/validator.js';
import type { RecipeFile, RecipeFileArtifact } from '../../recipe/types.js';
import { BUNDLE_FORMAT } from './manifest-schema.js';

export { BUNDLE_FORMAT };
export const MANIFEST_ENTRY = 'bundle.json';
export const RECIPE_ENTRY = 'recipe-file.json';
export const SIGNATURES_ENTRY = 'signatures.json';
export const ARTIFACTS_DIR = 'artifacts';

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  tenant: string;
  controllerId: string;
  actionId: string;
  recipe: { id: string; name: string; version: string };
  /** ISO 8601 UTC. */
  createdAt: string;
}

const validateManifest = validatorOf<BundleManifest>(generated.bundleManifest);

/** Checks a parsed `bundle.json`; throws SOUP_E_BUNDLE naming the key path. */
export function checkManifest(value: unknown): BundleManifest {
  if (!validateManifest(value)) {
    const e = validateManifest.errors?.[0];
    const where = (e?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.') || '(root)';
    throw new SoupError('SOUP_E_BUNDLE', `bundle: ${MANIFEST_ENTRY} ${where} ${e?.message ?? 'is invalid'}`);
  }
  return value;
}

/** The file name an artifact has under `artifacts/` (and in an action's directory): its id's path segment. */
export function artifactFileName(id: string): string {
  return pathSegment(id, 'artifact id');
}

/** Every artifact the recipe file names (images and their sets, scripts, release notes, licenses), once. */
export function recipeArtifacts(file: RecipeFile): RecipeFileArtifact[] {
  const all = [
    ...(file.software.images ?? []).flatMap((i) => i._software.artifacts),
    ...(file.software.scripts ?? []),
    ...(file.software._systemArtifacts ?? []).flatMap((s) => s.artifacts),
  ];
  const seen = new Map<string, RecipeFileArtifact>();
  for (const a of all) if (!seen.has(a.id)) seen.set(a.id, a);
  return [...seen.values()];
}

/** True for the entry names a bundle may hold. */
export function allowedEntry(path: string): boolean {
  if (path === MANIFEST_ENTRY || path === RECIPE_ENTRY || path === SIGNATURES_ENTRY) return true;
  const m = /^artifacts\/([^/]+)$/.exec(path);
  return m?.[1] !== undefined && decodePathSegment(m[1]) !== undefined;
}
