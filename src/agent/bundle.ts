/**
 * Offline bundles (`agent.md`, "Offline bundles"): a tar file holding `bundle.json`
 * (`{format: "soup-bundle/1", tenant, controllerId, actionId, recipe: {id, name, version}, createdAt}`),
 * `recipe-file.json` (the exact signed bytes), `signatures.json` and `artifacts/<id>`.
 *
 * `createBundle` is the system update app's side (fetch the open system update as the controller);
 * the gateway's side is `unpackOffline` (offline.ts, checks in bundle/open.ts). The gateway then verifies,
 * matches and installs it exactly as online; its feedback is recorded with `offline: true`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import * as tar from 'tar';
import { SoupError } from '../lib/errors.js';
import { parseRecipeFile } from '../recipe/schema.js';
import type { RecipeFileArtifact, SystemReport } from '../recipe/types.js';
import { artifactFileName, BUNDLE_FORMAT, type BundleManifest, recipeArtifacts } from './bundle/manifest.js';
import { type InstallApi, idOfLink } from './install-api.js';
import { downloadArtifact } from './net/download.js';

export { BUNDLE_FORMAT, type BundleManifest } from './bundle/manifest.js';

/** Every artifact the recipe file names (images' sets, scripts, system artifacts), once each. */
export function artifactsOf(bytes: Uint8Array): RecipeFileArtifact[] {
  return recipeArtifacts(parseRecipeFile(bytes));
}

export const artifactFile = artifactFileName;

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
  const action = await api.systemUpdate(link.href);
  const recipeId = encodeURIComponent(action.recipe.id);
  const fileHref = action._links?.recipeFile?.href ?? api.url(`recipes/${recipeId}/file`);
  const sigHref = action._links?.signatures?.href ?? api.url(`recipes/${recipeId}/signatures`);
  const bytes = await api.recipeFile(fileHref);
  const signatures = await api.signatures(sigHref);
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
      ...(api.transport === undefined ? {} : { transport: api.transport }),
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
