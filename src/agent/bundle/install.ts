/**
 * `install BUNDLE`, the part the daemon and the in-process install share: open the bundle (extract and
 * check, open.ts) into a fresh folder, refuse it when an update is in progress or the action already
 * ended here, move it into the action's folder and start the action from it. From there the run loop
 * performs it exactly as an online update; its feedback waits in the outbox (`offline: true`).
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SoupError } from '../../lib/errors.js';
import type { Jwks } from '../../recipe/jws.js';
import type { AgentConfig } from '../config.js';
import type { UpdateRunner } from '../run-loop.js';
import { actionDir } from '../steps/env.js';
import type { StateStore } from '../store.js';
import type { BundleManifest } from './manifest.js';
import { openBundle } from './open.js';

export interface BundleInstallDeps {
  config: AgentConfig;
  store: StateStore;
  trust: () => Promise<Jwks>;
  runner: UpdateRunner;
  now: () => number;
}

function busy(runner: UpdateRunner): SoupError | undefined {
  const current = runner.current;
  return current === undefined
    ? undefined
    : new SoupError(
        'SOUP_E_BUNDLE',
        `bundle: an update is in progress (action ${current.ctx.actionId}, ${current.state.step}): try again when it ended`,
      );
}

/** Opens and checks the bundle and starts its action; SOUP_E_BUNDLE (one line) when refused. */
export async function beginBundleInstall(deps: BundleInstallDeps, file: string): Promise<BundleManifest> {
  const early = busy(deps.runner);
  if (early !== undefined) throw early;
  const { config } = deps;
  const incoming = join(config.dataDir, 'bundles', `incoming-${process.pid}-${deps.now()}`);
  const opened = await openBundle(
    file,
    incoming,
    { tenant: config.server.tenant, controllerId: config.server.controllerId },
    deps.trust,
  );
  const { manifest } = opened;
  try {
    const late = busy(deps.runner);
    if (late !== undefined) throw late;
    if (deps.store.isFinished(manifest.actionId))
      throw new SoupError(
        'SOUP_E_BUNDLE',
        `bundle: action ${manifest.actionId} already ended on this gateway`,
      );
    const dir = actionDir(config.dataDir, manifest.actionId);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dirname(dir), { recursive: true });
    await rename(incoming, dir);
  } catch (err) {
    await rm(incoming, { recursive: true, force: true });
    throw err;
  }
  deps.runner.startBundle(
    manifest.actionId,
    // relative: delivered to whichever server the gateway talks to once it is online again
    `systemUpdate/${encodeURIComponent(manifest.actionId)}/feedback`,
    manifest.recipe,
  );
  return manifest;
}
