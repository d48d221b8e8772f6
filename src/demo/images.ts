/** The demo's update images, one per module kind, written to disk with their SHA-256. */
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { notBuilt } from '../lib/errors.js';

export interface DemoImage {
  /** Module update definition name and the module's configured name. */
  module: string;
  description: string;
  /** RSQL module match and count queries of the definition. */
  match: string;
  count: string;
  /** Handler key (`imageType`). */
  handler: string;
  version: string;
  filename: string;
  path: string;
  size: number;
  sha256: string;
}

async function write(
  dir: string,
  filename: string,
  bytes: Uint8Array,
): Promise<{ path: string; sha256: string }> {
  const path = join(dir, filename);
  await writeFile(path, bytes);
  return { path, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export async function buildDemoImages(
  dir: string,
  modules: { smp: boolean; uds: boolean },
): Promise<DemoImage[]> {
  const images: DemoImage[] = [];
  const rootfs = randomBytes(256 * 1024);
  images.push({
    module: 'gateway',
    description: 'the gateway itself: a root file system image written by rawfile',
    match: 'attributes.module-id==gw',
    count: 'count==1',
    handler: 'rawfile',
    version: '1.1.0',
    filename: 'gateway-rootfs-1.1.0.img',
    size: rootfs.length,
    ...(await write(dir, 'gateway-rootfs-1.1.0.img', rootfs)),
  });
  if (modules.smp) notBuilt('the demo SMP image');
  if (modules.uds) notBuilt('the demo UDS image');
  return images;
}
