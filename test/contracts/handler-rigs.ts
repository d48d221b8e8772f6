/**
 * One rig per module handler for the handler contract (`handlers.test.ts`): the handler, a job that
 * installs a new image, contexts that share one durable checkpoint (as the agent's state does across
 * restarts), and a look at the module's side: what it runs or holds, and how many image bytes reached
 * it. smp-image and uds-flash run against the simulators over in-memory links (no pty, no pacing).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDummyHandler } from '../../src/handlers/dummy.js';
import { createRawHandler } from '../../src/handlers/raw.js';
import { createRawfileHandler, RAWFILE_SUFFIX } from '../../src/handlers/rawfile.js';
import { createSmpImageHandler } from '../../src/handlers/smp-image.js';
import type { Handler, HandlerContext, HandlerJob, ImageFile } from '../../src/handlers/types.js';
import { createUdsFlashHandler } from '../../src/handlers/uds-flash.js';
import type { ModuleConfig } from '../../src/inventory/module-config.js';
import { systemClock } from '../../src/lib/clock.js';
import { notBuilt } from '../../src/lib/errors.js';
import { silentLogger } from '../../src/lib/log.js';
import { createMemoryStreamPair } from '../../src/protocols/buses/memory-stream.js';
import type { ByteStream, LinkProvider } from '../../src/protocols/buses/types.js';
import { buildMcubootImage } from '../../src/protocols/smp/mcuboot-image.js';
import { startSmpModule } from '../../src/simulate/smp/index.js';
import { buildSoupImage, simulatedMemoryBus, startUdsEcus } from '../../src/simulate/uds/index.js';

export interface HandlerRig {
  handler: Handler;
  job: HandlerJob;
  /** A context as the engine gives one to a step; every context shares the rig's checkpoint. */
  ctx(options?: { signal?: AbortSignal; progress?: (cnt: number, of: number) => void }): HandlerContext;
  /** What the module runs or holds now, in words the rig chooses (`before` / `after` below). */
  state(): Promise<string>;
  before: string;
  after: string;
  /** Image bytes that reached the module so far (undefined: the handler keeps nothing, `dummy`). */
  received(): Promise<number | undefined>;
  /** A copy of the job whose image file holds fewer bytes than its declared size. */
  truncated(): Promise<HandlerJob>;
  dispose(): Promise<void>;
}

function imageFile(path: string, bytes: Uint8Array): ImageFile {
  return {
    path,
    filename: path.split('/').at(-1) ?? path,
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

function makeJob(
  module: { name: string; config: ModuleConfig },
  image: ImageFile,
  version: string,
): HandlerJob {
  return {
    actionId: '17',
    module: { id: `id-${module.name}`, name: module.name, attributes: {}, config: module.config },
    image,
    version,
    artifacts: [image],
    fromVersion: '1.0.0',
  };
}

function contexts(dir: string, links: LinkProvider) {
  let saved: unknown;
  return (options: { signal?: AbortSignal; progress?: (cnt: number, of: number) => void } = {}) =>
    ({
      log: silentLogger(),
      signal: options.signal ?? new AbortController().signal,
      clock: systemClock,
      links,
      dataDir: dir,
      checkpoint: {
        load: <T>() => saved as T | undefined,
        save: <T>(value: T) => {
          saved = structuredClone(value);
        },
      },
      progress: options.progress ?? (() => {}),
    }) satisfies HandlerContext;
}

const noLinks: LinkProvider = { serial: () => notBuilt('serial links'), can: () => notBuilt('CAN links') };

async function truncatedCopy(dir: string, job: HandlerJob): Promise<HandlerJob> {
  const bytes = await readFile(job.image.path);
  const path = join(dir, `truncated-${job.image.filename}`);
  await writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
  return { ...job, image: { ...job.image, path } };
}

/** rawfile, raw and dummy: a file of the gateway, 1 MiB of new image over a small old one. */
async function localRig(type: 'rawfile' | 'raw' | 'dummy'): Promise<HandlerRig> {
  const dir = await mkdtemp(join(tmpdir(), `soup-contract-${type}-`));
  const target = join(dir, 'target.img');
  const old = Buffer.from('old image of the module\n');
  await writeFile(target, old);
  const bytes = randomBytes(1024 * 1024);
  const path = join(dir, 'image.bin');
  await writeFile(path, bytes);
  const handler = { rawfile: createRawfileHandler, raw: createRawHandler, dummy: createDummyHandler }[type]();
  const job = makeJob(
    {
      name: 'gateway-file',
      config: { kind: 'local', entry: { name: 'gateway-file', handler: type, target } },
    },
    imageFile(path, bytes),
    '2.0.0',
  );
  const content = async (file: string): Promise<Buffer | undefined> => readFile(file).catch(() => undefined);
  const describe = (b: Buffer | undefined): string =>
    b === undefined
      ? 'absent'
      : b.equals(old)
        ? 'old'
        : b.equals(bytes)
          ? 'new'
          : `other (${b.length} bytes)`;
  return {
    handler,
    job,
    ctx: contexts(dir, noLinks),
    // raw writes in place: the old image is overwritten from byte 0, what stays behind it is not the image's
    state: async () => {
      const now = await content(target);
      return type === 'raw' && now !== undefined && now.length >= bytes.length
        ? describe(now.subarray(0, bytes.length))
        : describe(now);
    },
    before: 'old',
    after: type === 'dummy' ? 'old' : 'new',
    received: async () => {
      if (type === 'dummy') return undefined;
      const written =
        type === 'rawfile'
          ? ((await content(target + RAWFILE_SUFFIX)) ?? (await content(target)))
          : await content(target);
      if (written === undefined) return 0;
      // bytes of the image that are in place, from the start
      let n = 0;
      while (n < bytes.length && n < written.length && written[n] === bytes[n]) n++;
      return n;
    },
    truncated: () => truncatedCopy(dir, job),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** In-memory serial links: `serial(path)` is the agent's end of the stream the module opened last. */
function memorySerial(): { links: LinkProvider; openFor(path: string): () => Promise<ByteStream> } {
  const agentEnds = new Map<string, ByteStream>();
  return {
    links: {
      serial: async (path) => {
        const end = agentEnds.get(path);
        if (end === undefined || !end.isOpen) throw new Error(`${path}: no module on this link`);
        return end;
      },
      can: () => notBuilt('CAN links'),
    },
    openFor: (path) => async () => {
      const [agent, module] = createMemoryStreamPair(path);
      agentEnds.set(path, agent);
      return module;
    },
  };
}

/** smp-image: the simulated SMP module (application mode, MCUboot swap) over an in-memory stream. */
async function smpRig(): Promise<HandlerRig> {
  const dir = await mkdtemp(join(tmpdir(), 'soup-contract-smp-'));
  const path = join(dir, 'ttyDISPLAY');
  const serial = memorySerial();
  const module = await startSmpModule(
    { protocol: 'smp', name: 'display', link: { pty: path }, image: '1.0.0', bufSize: 1024, bootMs: 0 },
    { clock: systemClock, log: silentLogger(), openLink: serial.openFor(path) },
  );
  const payload = randomBytes(64 * 1024);
  const bytes = buildMcubootImage({ version: '2.0.0', payload });
  const file = join(dir, 'display-2.0.0.bin');
  await writeFile(file, bytes);
  const job = makeJob(
    {
      name: 'display',
      config: {
        kind: 'serial',
        entry: { name: 'display', path, baudRate: 115200, protocol: 'smp', timeoutMs: 500 },
      },
    },
    imageFile(file, bytes),
    '2.0.0',
  );
  return {
    handler: createSmpImageHandler({ bootTimeoutMs: 5000 }),
    job,
    ctx: contexts(dir, serial.links),
    state: async () => {
      const active = module.device.imageList().find((s) => s.active === true);
      return active === undefined
        ? 'no image'
        : `${String(active.version)}${active.confirmed ? ' confirmed' : ''}`;
    },
    before: '1.0.0 confirmed',
    after: '2.0.0 confirmed',
    received: async () => module.device.stats.uploadBytesWritten,
    truncated: () => truncatedCopy(dir, job),
    dispose: async () => {
      await module.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let buses = 0;

/** uds-flash: the simulated single-bank ECU on an in-memory CAN bus. */
async function udsRig(): Promise<HandlerRig> {
  const dir = await mkdtemp(join(tmpdir(), 'soup-contract-uds-'));
  const busName = `contract-${process.pid}-${++buses}`;
  const [sim] = await startUdsEcus([
    {
      protocol: 'uds',
      name: 'brake',
      link: { memory: busName },
      txId: '0x7e8',
      rxId: '0x7e0',
      serialNumber: 'SN-778812',
      image: '1.0.0',
      security: { level: 1, key: 'xor:0xA5A5A5A5' },
      memory: { address: '0x08000000', size: 65536 },
      maxBlockLength: 1026,
    },
  ]);
  const links: LinkProvider = {
    serial: () => notBuilt('serial links'),
    can: async () => simulatedMemoryBus(busName).attach(),
  };
  const payload = Buffer.alloc(24_000);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 151 + 7) & 0xff;
  const bytes = buildSoupImage({ version: '2.0.0', payload });
  const file = join(dir, 'brake-2.0.0.bin');
  await writeFile(file, bytes);
  const job = makeJob(
    {
      name: 'brake',
      config: {
        kind: 'can',
        bus: { bus: `memory:${busName}`, bitrate: 500_000, ecus: [] },
        entry: {
          name: 'brake',
          txId: '0x7e0',
          rxId: '0x7e8',
          attributes: {},
          security: { level: 1, key: 'xor:0xA5A5A5A5' },
          memory: { address: '0x08000000', addressLength: 4, sizeLength: 4 },
          routines: { erase: '0xFF00', check: '0xFF01' },
        },
      },
    },
    imageFile(file, bytes),
    '2.0.0',
  );
  return {
    handler: createUdsFlashHandler({ verifyTimeoutMs: 5000 }),
    job,
    ctx: contexts(dir, links),
    state: async () => sim!.ecu.runningVersion,
    before: '1.0.0',
    after: '2.0.0',
    received: async () => sim!.ecu.stats.bytesWritten,
    truncated: () => truncatedCopy(dir, job),
    dispose: async () => {
      await sim!.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const HANDLER_RIGS: [string, () => Promise<HandlerRig>][] = [
  ['rawfile', () => localRig('rawfile')],
  ['raw', () => localRig('raw')],
  ['dummy', () => localRig('dummy')],
  ['smp-image', smpRig],
  ['uds-flash', udsRig],
];
