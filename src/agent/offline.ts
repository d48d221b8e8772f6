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

/**
 * Unpacks into a scratch folder and checks the bundle there before anything starts (bundle/open.ts:
 * entries, manifest and gateway, a signature trusted here, the recipe file's schema, every artifact's
 * size and SHA-256), then moves it into the action's bundle folder. A refused bundle (SOUP_E_BUNDLE, one
 * line) leaves nothing behind and starts no action, so the action stays installable online or from a
 * good bundle.
 */
export async function unpackOffline(config: AgentConfig, file: string): Promise<BundleManifest> {
  const scratch = join(config.dataDir, 'bundles', `.unpack-${process.pid}-${randomUUID()}`);
  const trust = async (): Promise<Jwks> => JSON.parse(await readFile(config.trust.keys, 'utf8')) as Jwks;
  // loaded when a bundle arrives: it brings node-jose and the recipe schema
  const { openBundle } = await import('./bundle/open.js');
  const { manifest } = await openBundle(
    file,
    scratch,
    { tenant: config.server.tenant, controllerId: config.server.controllerId },
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
