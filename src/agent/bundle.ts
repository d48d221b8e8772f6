/**
 * Offline bundles (`agent.md`, "Offline bundles"): a tar file holding `bundle.json`
 * (`{format: "soup-bundle/1", tenant, controllerId, actionId, recipe: {id, name, version}, createdAt}`),
 * `recipe-file.json` (the exact signed bytes), `signatures.json` and `artifacts/<id>`.
 *
 * `createBundle` is the system update app's side (fetch the open system update as the controller);
 * `unpackBundle` the gateway's (unpack into dataDir, check the manifest). The gateway then verifies,
 * matches and installs it exactly as online; its feedback is recorded with `offline: true`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import * as tar from 'tar';
import { SoupError } from '../lib/errors.js';
import { parseRecipeFile } from '../recipe/schema.js';
import type { RecipeFileArtifact, SystemReport } from '../recipe/types.js';
import { type InstallApi, idOfLink, type SystemUpdateAction } from './install-api.js';
import { downloadArtifact } from './net/download.js';

export const BUNDLE_FORMAT = 'soup-bundle/1';

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  tenant: string;
  controllerId: string;
  actionId: string;
  recipe: { id: string; name: string; version: string };
  createdAt: string;
}

/** Every artifact the recipe file names (images' sets, scripts, system artifacts), once each. */
export function artifactsOf(bytes: Uint8Array): RecipeFileArtifact[] {
  const file = parseRecipeFile(bytes);
  const all = [
    ...(file.software.images ?? []).flatMap((i) => i._software.artifacts),
    ...(file.software.scripts ?? []),
    ...(file.software._systemArtifacts ?? []).flatMap((s) => s.artifacts),
  ];
  const seen = new Map<string, RecipeFileArtifact>();
  for (const a of all) if (!seen.has(a.id)) seen.set(a.id, a);
  return [...seen.values()];
}

export function artifactFile(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}

export interface CreateBundleOptions {
  api: InstallApi;
  tenant: string;
  controllerId: string;
  report?: SystemReport;
  out: string;
  /** Empty directory for the bundle's files before they are packed. */
  workDir: string;
  now: () => number;
  log: Logger;
}

export async function createBundle(options: CreateBundleOptions): Promise<BundleManifest> {
  const { api, workDir } = options;
  if (options.report !== undefined) await api.putSystemReport(options.report);
  const root = await api.rootPoll();
  const link = root._links?.systemUpdate;
  if (link === undefined)
    throw new SoupError('SOUP_E_NO_ACTION', `no system update is open for ${options.controllerId}`);
  const action = await api.getJson<SystemUpdateAction>(link.href);
  const fileHref = action._links?.recipeFile?.href ?? api.url(`recipes/${action.recipe.id}/file`);
  const sigHref = action._links?.signatures?.href ?? api.url(`recipes/${action.recipe.id}/signatures`);
  const bytes = await api.getBytes(fileHref, 4 * 1024 * 1024);
  const signatures = await api.getJson<unknown>(sigHref);
  await mkdir(join(workDir, 'artifacts'), { recursive: true });
  await writeFile(join(workDir, 'recipe-file.json'), bytes);
  await writeFile(join(workDir, 'signatures.json'), JSON.stringify(signatures));
  for (const a of artifactsOf(bytes)) {
    options.log.info({ artifact: a.id, filename: a.filename, size: a.byteSize }, 'adding artifact');
    await downloadArtifact({
      url: api.url(`artifacts/${encodeURIComponent(a.id)}`),
      dest: join(workDir, 'artifacts', artifactFile(a.id)),
      size: a.byteSize,
      sha256: a.sha256,
      auth: api.auth,
      ...(api.dispatcher === undefined ? {} : { dispatcher: api.dispatcher }),
    });
  }
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    tenant: options.tenant,
    controllerId: options.controllerId,
    actionId: action.id ?? idOfLink(link),
    recipe: { id: action.recipe.id, name: action.recipe.name, version: action.recipe.version },
    createdAt: new Date(options.now()).toISOString(),
  };
  await writeFile(join(workDir, 'bundle.json'), JSON.stringify(manifest, null, 2));
  await tar.c({ file: options.out, cwd: workDir, portable: true }, [
    'bundle.json',
    'recipe-file.json',
    'signatures.json',
    'artifacts',
  ]);
  return manifest;
}

/** Unpacks a bundle into `dir` and checks its manifest against this gateway. */
export async function unpackBundle(file: string, dir: string, controllerId: string): Promise<BundleManifest> {
  await mkdir(dir, { recursive: true });
  try {
    await tar.x({ file, cwd: dir, strict: true, preservePaths: false });
  } catch (err) {
    throw new SoupError(
      'SOUP_E_BUNDLE',
      `bundle ${file}: not a readable tar file (${(err as Error).message})`,
    );
  }
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, 'bundle.json'), 'utf8')) as BundleManifest;
  } catch {
    throw new SoupError('SOUP_E_BUNDLE', `bundle ${file}: bundle.json is missing or not JSON`);
  }
  if (manifest.format !== BUNDLE_FORMAT) {
    throw new SoupError(
      'SOUP_E_BUNDLE',
      `bundle ${file}: format is ${String(manifest.format)}, expected ${BUNDLE_FORMAT}`,
    );
  }
  if (manifest.controllerId !== controllerId) {
    throw new SoupError(
      'SOUP_E_BUNDLE',
      `bundle ${file}: made for ${manifest.controllerId}, this gateway is ${controllerId}`,
    );
  }
  if (typeof manifest.actionId !== 'string' || typeof manifest.recipe?.id !== 'string') {
    throw new SoupError('SOUP_E_BUNDLE', `bundle ${file}: bundle.json lacks actionId or recipe.id`);
  }
  return manifest;
}
