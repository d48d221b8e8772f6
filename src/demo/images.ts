/** The demo's update images, one per module kind, written to disk with their SHA-256. */
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildMcubootImage } from '../protocols/smp/mcuboot-image.js';
import { buildSoupImage } from '../simulate/uds/image.js';

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
  if (modules.smp) {
    // an MCUboot image (header, payload, SHA-256 TLV) for the display MCU: test-booted, then confirmed
    const image = buildMcubootImage({ version: '1.1.0', payload: randomBytes(48 * 1024) });
    images.push({
      module: 'display',
      description: 'display MCU over serial (MCUmgr SMP), two slots: test, then confirm',
      match: 'attributes.module-id==5000',
      count: 'count==1',
      handler: 'smp-image',
      version: '1.1.0',
      filename: 'display-1.1.0.mcuboot.bin',
      size: image.length,
      ...(await write(dir, 'display-1.1.0.mcuboot.bin', image)),
    });
  }
  if (modules.uds) {
    // a single-bank ECU image (SOUPIMG1 header + payload): flashed after the revertible modules
    const image = buildSoupImage({ version: '2.1.0', payload: randomBytes(32 * 1024) });
    images.push({
      module: 'brake',
      description: 'brake ECUs over CAN (UDS over ISO-TP), single bank: the point of no return',
      match: 'attributes.module-id==4711 and attributes.hwVersion=in=(1.7,1.8,2.5)',
      count: 'count=ge=1',
      handler: 'uds-flash',
      version: '2.1.0',
      filename: 'brake-2.1.0.soupimg',
      size: image.length,
      ...(await write(dir, 'brake-2.1.0.soupimg', image)),
    });
  }
  return images;
}
