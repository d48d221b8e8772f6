/**
 * Step 4, match and plan: the recipe against a FRESH inventory (`recipe-file.md`), then per module
 * `update` or `skip` (at target). Refused before anything is downloaded: no match, a module whose
 * configured handler differs from its image's type, an image type without a handler. For a plain DDI
 * deployment the plan comes from `ddi.parts` (chunk part → module).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { busOf, configuredHandler } from '../../handlers/registry.js';
import { isScriptType } from '../../handlers/scripts.js';
import type { Handler } from '../../handlers/types.js';
import { findModule } from '../../inventory/modules.js';
import { oneLine } from '../../lib/errors.js';
import { pathSegments } from '../../lib/path-segment.js';
import { compileRecipe, definitionsOf, matchSystem } from '../../recipe/match.js';
import type { RecipeFileArtifact, ReportedModule } from '../../recipe/types.js';
import type { ArtifactRef, PlannedModule } from '../action.js';
import { artifactFile } from '../bundle.js';
import type { DdiArtifact, DdiDeploymentBase } from '../install-api.js';
import type { UpdateEvent } from '../machine.js';
import { actionDir, type StepEnv } from './env.js';
import { loadRecipeFile } from './verify.js';

function refOf(env: StepEnv, a: RecipeFileArtifact): ArtifactRef {
  return {
    id: a.id,
    filename: a.filename,
    type: a.type,
    size: a.byteSize,
    sha256: a.sha256,
    url:
      env.ctx.offline === undefined
        ? env.api.url(`artifacts/${encodeURIComponent(a.id)}`)
        : join(env.ctx.offline.bundleDir, 'artifacts', artifactFile(a.id)),
    path: join(actionDir(env.config.dataDir, env.ctx.actionId), 'artifacts', artifactFile(a.id)),
  };
}

/** Checks the module can take an image of `type`; returns the refusal reason or the handler. */
function handlerFor(
  env: StepEnv,
  module: ReportedModule,
  type: string,
): { handler: Handler; bus: string } | string {
  const configured = findModule(env.config.modules, module.name)?.config;
  if (configured === undefined)
    return `module ${module.name}: no handler is configured for it (image type ${type})`;
  const own = configuredHandler(configured);
  if (own !== type) return `module ${module.name}: configured handler ${own} differs from image type ${type}`;
  if (!env.registry.has(type)) return `module ${module.name}: no handler for image type ${type}`;
  try {
    return { handler: env.registry.get(type), bus: busOf(configured) };
  } catch (err) {
    return `module ${module.name}: handler ${type} is not available (${oneLine(err)})`;
  }
}

export async function matchAndPlan(env: StepEnv): Promise<UpdateEvent> {
  return env.ctx.kind === 'ddi' ? planDdi(env) : planSystem(env);
}

async function planSystem(env: StepEnv): Promise<UpdateEvent> {
  const file = await loadRecipeFile(env);
  const report = await env.inventory(env.signal);
  const result = matchSystem(
    compileRecipe(definitionsOf(file), file._recipe.versionProperties),
    report.modules,
  );
  if (!result.matched) return { type: 'reject', reasons: result.reasons.map((r) => `match: ${r}`) };
  const reasons: string[] = [];
  const planned: PlannedModule[] = [];
  for (const { module, definition, atTarget } of result.assignments) {
    const image = definition.image;
    const base = {
      id: module.id,
      name: module.name,
      attributes: module.attributes,
      definition: definition.name,
      details: [] as string[],
    };
    if (image === undefined) {
      planned.push({ ...base, action: 'skip', artifacts: [], revertible: true, bus: '', state: 'skipped' });
      continue;
    }
    const found = handlerFor(env, module, image.type);
    if (typeof found === 'string') {
      reasons.push(found);
      continue;
    }
    const artifacts = image._software.artifacts.map((a) => refOf(env, a));
    const imageRef = artifacts.find((a) => a.filename === image.filename && a.sha256 === image.sha256);
    if (imageRef === undefined) {
      reasons.push(
        `module ${module.name}: image ${image.filename} is not among the artifacts of ${image._software.name}`,
      );
      continue;
    }
    const fromVersion = module.attributes.swVersion;
    const entry: PlannedModule = {
      ...base,
      action: atTarget ? 'skip' : 'update',
      handler: image.type,
      image: imageRef,
      artifacts,
      ...(fromVersion === undefined ? {} : { fromVersion }),
      toVersion: image.version,
      revertible: true,
      bus: found.bus,
      state: atTarget ? 'skipped' : 'pending',
    };
    const config = findModule(env.config.modules, module.name)?.config;
    if (config !== undefined) {
      entry.revertible = found.handler.revertible({
        actionId: env.ctx.actionId,
        module: { id: module.id, name: module.name, attributes: module.attributes, config },
        image: {
          path: imageRef.path,
          filename: imageRef.filename,
          size: imageRef.size,
          sha256: imageRef.sha256,
        },
        version: image.version,
        artifacts: artifacts.map((a) => ({
          path: a.path,
          filename: a.filename,
          size: a.size,
          sha256: a.sha256,
        })),
      });
    }
    planned.push(entry);
  }
  if (reasons.length > 0) return { type: 'reject', reasons };
  env.ctx.modules = planned;
  env.ctx.scripts = (file.software.scripts ?? [])
    .filter((s) => isScriptType(s.type))
    .map((s) => refOf(env, s));
  env.ctx.offers = (file.software._systemArtifacts ?? [])
    .flatMap((set) => set.artifacts)
    .filter((a) => a.type === 'releasenotes' || a.type === 'license')
    .map((a) => refOf(env, a));
  env.save();
  return needsConsent(env) ? { type: 'needs-consent' } : { type: 'ok' };
}

/** `consent` config: always, whenAsked (handling.update = attempt, or a DDI confirmation), never. */
export function needsConsent(env: StepEnv): boolean {
  // installing a bundle is itself the installer's consent, unless the gateway asks for every action
  if (env.ctx.offline !== undefined) return env.config.consent === 'always';
  switch (env.config.consent) {
    case 'always':
      return true;
    case 'whenAsked':
      return env.ctx.handling.update === 'attempt' || env.ctx.confirmationHref !== undefined;
    case 'never':
      return env.ctx.confirmationHref !== undefined; // the server still wants an answer: given automatically
    default: {
      const never: never = env.config.consent;
      return never;
    }
  }
}

function ddiRef(env: StepEnv, part: string, a: DdiArtifact): ArtifactRef | string {
  const href = a._links?.['download-http']?.href ?? a._links?.download?.href;
  if (href === undefined) return `chunk ${part}: artifact ${a.filename} has no download link`;
  if (a.hashes.sha256 === undefined) return `chunk ${part}: artifact ${a.filename} has no SHA-256`;
  let file: string;
  try {
    file = pathSegments([part, a.filename], 'DDI artifact');
  } catch (err) {
    return `chunk ${part}: ${oneLine(err)}`;
  }
  return {
    id: `${part}/${a.filename}`,
    filename: a.filename,
    type: part,
    size: a.size,
    sha256: a.hashes.sha256,
    url: href,
    path: join(actionDir(env.config.dataDir, env.ctx.actionId), 'artifacts', file),
  };
}

async function planDdi(env: StepEnv): Promise<UpdateEvent> {
  const base = JSON.parse(
    await readFile(join(actionDir(env.config.dataDir, env.ctx.actionId), 'deployment.json'), 'utf8'),
  ) as DdiDeploymentBase;
  const report = await env.inventory(env.signal);
  const reasons: string[] = [];
  const planned: PlannedModule[] = [];
  for (const chunk of base.deployment.chunks) {
    const target = env.config.ddi.parts[chunk.part]?.module;
    if (target === undefined) {
      reasons.push(`chunk ${chunk.part}: no module configured for this part (ddi.parts)`);
      continue;
    }
    const module = report.modules.find((m) => m.name === target);
    if (module === undefined || module.status === 'unreachable') {
      reasons.push(
        `chunk ${chunk.part}: module ${target} is ${module === undefined ? 'unknown' : 'unreachable'}`,
      );
      continue;
    }
    const config = findModule(env.config.modules, target)?.config;
    const type = config === undefined ? 'none' : configuredHandler(config);
    const found = handlerFor(env, module, type);
    if (typeof found === 'string') {
      reasons.push(found);
      continue;
    }
    const refs = (chunk.artifacts ?? []).map((a) => ddiRef(env, chunk.part, a));
    const bad = refs.filter((r): r is string => typeof r === 'string');
    if (bad.length > 0 || refs.length === 0) {
      reasons.push(...(bad.length > 0 ? bad : [`chunk ${chunk.part}: no artifacts`]));
      continue;
    }
    const artifacts = refs as ArtifactRef[];
    const image = artifacts[0] as ArtifactRef;
    const fromVersion = module.attributes.swVersion;
    planned.push({
      id: module.id,
      name: module.name,
      attributes: module.attributes,
      definition: chunk.part,
      action: 'update',
      handler: type,
      image,
      artifacts,
      ...(fromVersion === undefined ? {} : { fromVersion }),
      toVersion: chunk.version,
      revertible:
        config === undefined
          ? true
          : found.handler.revertible({
              actionId: env.ctx.actionId,
              module: { id: module.id, name: module.name, attributes: module.attributes, config },
              image: { path: image.path, filename: image.filename, size: image.size, sha256: image.sha256 },
              version: chunk.version,
              artifacts: [],
            }),
      bus: found.bus,
      state: 'pending',
      details: [],
    });
  }
  if (reasons.length > 0) return { type: 'reject', reasons };
  env.ctx.modules = planned;
  env.save();
  return needsConsent(env) ? { type: 'needs-consent' } : { type: 'ok' };
}
