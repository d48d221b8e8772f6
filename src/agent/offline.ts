/** Where offline bundles are unpacked in `dataDir`, and the offline feedback recorded for `feedback export`. */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type BundleManifest, unpackBundle } from './bundle.js';
import type { AgentConfig } from './config.js';
import type { StateStore } from './store.js';

export function bundleDir(config: AgentConfig, actionId: string): string {
  return join(config.dataDir, 'bundles', actionId.replace(/[^A-Za-z0-9._-]/g, '_'));
}

/** Unpacks into a scratch folder, then into the action's bundle folder. */
export async function unpackOffline(config: AgentConfig, file: string): Promise<BundleManifest> {
  const scratch = join(config.dataDir, 'bundles', `.unpack-${process.pid}`);
  await rm(scratch, { recursive: true, force: true });
  const manifest = await unpackBundle(file, scratch, config.server.controllerId);
  const dir = bundleDir(config, manifest.actionId);
  await rm(dir, { recursive: true, force: true });
  await unpackBundle(file, dir, config.server.controllerId);
  await rm(scratch, { recursive: true, force: true });
  return manifest;
}

/** Feedback recorded offline and not yet delivered: the records of `POST offlineFeedback`. */
export function offlineRecords(store: StateStore): Record<string, unknown>[] {
  return store
    .outbox(100_000)
    .map((row) => JSON.parse(row.body) as Record<string, unknown>)
    .filter((body) => body.offline === true);
}
