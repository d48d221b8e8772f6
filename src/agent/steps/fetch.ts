/**
 * Step 2, fetch: the action itself, and for a SOUP system update the recipe file (exact bytes, kept in
 * the action's directory) and its signatures. Repeatable: it overwrites what an earlier try wrote.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SoupError } from '../../lib/errors.js';
import type { BundleManifest } from '../bundle.js';
import type { DdiDeploymentBase } from '../install-api.js';
import { actionDir, type StepEnv } from './env.js';

export const RECIPE_FILE = 'recipe-file.json';
export const SIGNATURES_FILE = 'signatures.json';

/** `HH:MM:SS` → ms. */
export function parseDuration(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+):([0-5]\d):([0-5]\d)$/.exec(value);
  if (m === null) return undefined;
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000;
}

export async function fetchAction(env: StepEnv): Promise<void> {
  const { ctx, api, signal } = env;
  const dir = actionDir(env.config.dataDir, ctx.actionId);
  await mkdir(dir, { recursive: true });
  if (ctx.offline !== undefined) {
    // an offline bundle: the same files, from the unpacked bundle instead of the server
    await copyFile(join(ctx.offline.bundleDir, RECIPE_FILE), join(dir, RECIPE_FILE));
    await copyFile(join(ctx.offline.bundleDir, SIGNATURES_FILE), join(dir, SIGNATURES_FILE));
    const manifest = JSON.parse(
      await readFile(join(ctx.offline.bundleDir, 'bundle.json'), 'utf8'),
    ) as BundleManifest;
    ctx.recipe = manifest.recipe;
    env.save();
    return;
  }
  if (ctx.kind === 'ddi') {
    const answer = await api.ddiAction(ctx.href, signal);
    // confirmationBase/{id} carries the deployment under `confirmation`
    const deployment = answer.deployment ?? answer.confirmation;
    if (deployment === undefined)
      throw new SoupError('SOUP_E_HTTP_DOCUMENT', 'the DDI action has no deployment');
    const base: DdiDeploymentBase = { id: answer.id, deployment };
    await writeFile(join(dir, 'deployment.json'), JSON.stringify(base));
    ctx.handling = {
      download: base.deployment.download ?? 'forced',
      update: base.deployment.update ?? 'forced',
    };
    ctx.maintenanceWindow =
      base.deployment.maintenanceWindow === undefined
        ? undefined
        : { available: base.deployment.maintenanceWindow === 'available' };
    env.save();
    return;
  }
  const action = await api.systemUpdate(ctx.href, signal);
  const links = action._links ?? {};
  const recipeId = encodeURIComponent(action.recipe.id);
  const fileHref = links.recipeFile?.href ?? api.url(`recipes/${recipeId}/file`);
  const sigHref = links.signatures?.href ?? api.url(`recipes/${recipeId}/signatures`);
  const bytes = await api.recipeFile(fileHref, signal);
  const signatures = await api.signatures(sigHref, signal);
  await writeFile(join(dir, RECIPE_FILE), bytes);
  await writeFile(join(dir, SIGNATURES_FILE), JSON.stringify(signatures));
  ctx.recipe = { id: action.recipe.id, name: action.recipe.name, version: action.recipe.version };
  ctx.handling = {
    download: action.handling?.download ?? 'forced',
    update: action.handling?.update ?? 'forced',
  };
  const mw = action.maintenanceWindow;
  ctx.maintenanceWindow =
    mw === undefined
      ? undefined
      : {
          ...(mw.nextStartAt === undefined ? {} : { nextStartAt: mw.nextStartAt }),
          ...(parseDuration(mw.duration) === undefined ? {} : { durationMs: parseDuration(mw.duration) }),
        };
  if (links.feedback?.href !== undefined) ctx.feedbackUrl = links.feedback.href;
  env.save();
}
