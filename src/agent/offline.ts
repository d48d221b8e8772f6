/** Where offline bundles are unpacked in `dataDir`, and the offline feedback recorded for `feedback export`. */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathSegment } from '../lib/path-segment.js';
import type { Jwks } from '../recipe/jws.js';
import type { BundleManifest } from './bundle.js';
import type { AgentConfig } from './config.js';
import type { StateStore } from './store.js';

export function bundleDir(config: AgentConfig, actionId: string): string {
  return join(config.dataDir, 'bundles', pathSegment(actionId, 'action id'));
}

export interface UnpackOptions {
  /** The recipe installed here (`store.get('installedRecipe')`), for anti-rollback. */
  installed?: { id: string; name: string; version: string } | undefined;
  /** `install --allow-downgrade`: the operator accepts an older recipe. */
  allowDowngrade?: boolean;
}

/**
 * Checks the bundle and unpacks it into a scratch folder (bundle/open.ts: index, manifest and gateway,
 * a signature trusted here, the recipe file's schema, anti-rollback, free space — all before any
 * artifact is extracted — then only the named artifacts, each its declared size and SHA-256), then
 * moves it into the action's bundle folder. A refused bundle (SOUP_E_BUNDLE or SOUP_E_DOWNGRADE, one
 * line) leaves nothing behind and starts no action, so the action stays installable online or from a
 * good bundle.
 */
export async function unpackOffline(
  config: AgentConfig,
  file: string,
  options: UnpackOptions = {},
): Promise<BundleManifest> {
  const scratch = join(config.dataDir, 'bundles', `.unpack-${process.pid}-${randomUUID()}`);
  const trust = async (): Promise<Jwks> => JSON.parse(await readFile(config.trust.keys, 'utf8')) as Jwks;
  // loaded when a bundle arrives: it brings node-jose and the recipe schema
  const { openBundle } = await import('./bundle/open.js');
  const { manifest } = await openBundle(
    file,
    scratch,
    {
      tenant: config.server.tenant,
      controllerId: config.server.controllerId,
      installed: options.installed,
      allowDowngrade: options.allowDowngrade === true,
    },
    trust,
  );
  try {
    const dir = bundleDir(config, manifest.actionId);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dirname(dir), { recursive: true });
    await rename(scratch, dir);
  } catch (err) {
    await rm(scratch, { recursive: true, force: true });
    throw err;
  }
  return manifest;
}

/** Feedback recorded offline and not yet delivered: the records of `POST offlineFeedback`. */
export function offlineRecords(store: StateStore): Record<string, unknown>[] {
  return store
    .outbox(100_000)
    .map((row) => JSON.parse(row.body) as Record<string, unknown>)
    .filter((body) => body.offline === true);
}
