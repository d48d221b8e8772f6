/**
 * `soup-agent bundle create`: the system update app's side of an offline update. Optionally PUTs the
 * gateway's system report (from `report --json`) as that controller, polls the root, and fetches the open
 * `systemUpdate` — recipe file (exact bytes), signatures and every artifact the recipe names — into one
 * tar bundle (manifest.ts). Artifacts go through the agent's resumable, hash-checking downloader into a
 * work folder beside the output, and tar streams them from there: no artifact is ever held in memory.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import * as tar from 'tar';
import type { Clock } from '../../lib/clock.js';
import { SoupError } from '../../lib/errors.js';
import { parseRecipeFile } from '../../recipe/schema.js';
import type { SystemReport } from '../../recipe/types.js';
import { InstallApi, idOfLink, type SystemUpdateAction } from '../install-api.js';
import { createAuth } from '../net/auth.js';
import { downloadArtifact } from '../net/download.js';
import {
  ARTIFACTS_DIR,
  artifactFileName,
  BUNDLE_FORMAT,
  type BundleManifest,
  MANIFEST_ENTRY,
  RECIPE_ENTRY,
  recipeArtifacts,
  SIGNATURES_ENTRY,
} from './manifest.js';

const MAX_RECIPE_BYTES = 4 * 1024 * 1024;

export interface BundleServer {
  url: string;
  tenant: string;
  controllerId: string;
  targetToken: string;
  timeoutMs?: number;
}

export interface CreateBundleOptions {
  server: BundleServer;
  /** A system report (`report --json`) to PUT first. */
  reportFile?: string;
  out: string;
  clock: Clock;
  log: Logger;
  signal?: AbortSignal;
}

export function bundleApi(server: BundleServer, clock: Clock): InstallApi {
  return new InstallApi({
    url: server.url,
    tenant: server.tenant,
    controllerId: server.controllerId,
    auth: createAuth({ targetToken: server.targetToken }),
    timeoutMs: server.timeoutMs ?? 30_000,
    now: () => clock.now(),
  });
}

async function readReport(path: string): Promise<SystemReport> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new SoupError(
      'SOUP_E_BUNDLE',
      `bundle: cannot read the report ${path} (${(err as Error).message})`,
    );
  }
  if (typeof value !== 'object' || value === null || !Array.isArray((value as SystemReport).modules))
    throw new SoupError('SOUP_E_BUNDLE', `bundle: ${path} is not a system report (no "modules" list)`);
  return value as SystemReport;
}

/** Writes the bundle; resolves with its manifest. SOUP_E_NO_ACTION when no system update is open. */
export async function createBundle(options: CreateBundleOptions): Promise<BundleManifest> {
  const { server, clock, log, signal } = options;
  const api = bundleApi(server, clock);
  if (options.reportFile !== undefined) {
    await api.putSystemReport(await readReport(options.reportFile), signal);
    log.info({ controllerId: server.controllerId }, 'system report sent');
  }
  const root = await api.rootPoll(signal);
  const link = root._links?.systemUpdate;
  if (link === undefined) {
    throw new SoupError(
      'SOUP_E_NO_ACTION',
      `bundle: no system update is open for ${server.controllerId} on ${server.url}`,
    );
  }
  const action = await api.getJson<SystemUpdateAction>(link.href, signal);
  const actionId = String(action.id ?? idOfLink(link));
  const links = action._links ?? {};
  const bytes = await api.getBytes(
    links.recipeFile?.href ?? api.url(`recipes/${action.recipe.id}/file`),
    MAX_RECIPE_BYTES,
    signal,
  );
  const signatures = await api.getJson<{ signatures?: unknown[] }>(
    links.signatures?.href ?? api.url(`recipes/${action.recipe.id}/signatures`),
    signal,
  );
  if (!Array.isArray(signatures?.signatures))
    throw new SoupError('SOUP_E_BUNDLE', 'bundle: the server gave no "signatures" list for the recipe');
  const file = parseRecipeFile(bytes);
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    tenant: server.tenant,
    controllerId: server.controllerId,
    actionId,
    recipe: { id: action.recipe.id, name: action.recipe.name, version: action.recipe.version },
    createdAt: new Date(clock.now()).toISOString(),
  };
  const work = `${options.out}.parts`;
  await mkdir(join(work, ARTIFACTS_DIR), { recursive: true });
  try {
    const entries = [MANIFEST_ENTRY, RECIPE_ENTRY, SIGNATURES_ENTRY];
    for (const a of recipeArtifacts(file)) {
      const name = `${ARTIFACTS_DIR}/${artifactFileName(a.id)}`;
      log.info({ artifact: a.id, filename: a.filename, size: a.byteSize }, 'fetching artifact');
      await downloadArtifact({
        url: api.url(`artifacts/${encodeURIComponent(a.id)}`),
        dest: join(work, name),
        size: a.byteSize,
        sha256: a.sha256,
        auth: api.auth,
        ...(api.dispatcher === undefined ? {} : { dispatcher: api.dispatcher }),
        ...(signal === undefined ? {} : { signal }),
        clock,
      });
      entries.push(name);
    }
    await writeFile(join(work, RECIPE_ENTRY), bytes);
    await writeFile(join(work, SIGNATURES_ENTRY), JSON.stringify(signatures));
    await writeFile(join(work, MANIFEST_ENTRY), `${JSON.stringify(manifest, null, 2)}\n`);
    const partial = `${options.out}.tmp`;
    await tar.c({ file: partial, cwd: work, portable: true, noDirRecurse: true }, entries);
    await rename(partial, options.out);
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(`${options.out}.tmp`, { force: true });
  }
  log.info({ actionId, out: options.out }, 'bundle written');
  return manifest;
}
