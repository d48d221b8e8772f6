/**
 * SMP image upload throughput against the SMP framing ceiling (`module-protocols.md`, "Ceilings").
 *
 *   node dist/bench/smp.js [imageBytes=1048576] [bufSize=2048] [bauds=115200,921600]
 *
 * For each baud: a simulated module on a real pty (link paced to baud/10 bytes/s both ways, flash write
 * time 0) advertises `bufSize`; the client uploads an MCUboot image of `imageBytes` with the chunk size
 * that follows from it, keeping `buf_count - 1` requests in flight. The ceiling is computed for the same
 * chunks: each chunk's data bytes over the line bytes of its request plus its response (frames with
 * markers and newlines) at baud/10 bytes/s. Since answers overlap requests on a full-duplex line, a
 * pipelined upload can exceed that ceiling, up to the request direction alone (printed too).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/lib/clock.js';
import { openSerialPort } from '../src/protocols/buses/serial.js';
import { SmpClient } from '../src/protocols/smp/client.js';
import { encodeMessage } from '../src/protocols/smp/codec.js';
import { lineBytesFor } from '../src/protocols/smp/framing.js';
import { buildMcubootImage } from '../src/protocols/smp/mcuboot-image.js';
import { uploadChunkSize, uploadImage, uploadWindow } from '../src/protocols/smp/upload.js';
import { startSmpModule } from '../src/simulate/smp/index.js';

const size = Number(process.argv[2] ?? 1024 * 1024);
const bufSize = Number(process.argv[3] ?? 2048);
const bauds = (process.argv[4] ?? '115200,921600').split(',').map(Number);

/**
 * Line bytes of every request and response of an upload, exactly as the client and module send them:
 * the spec's ceiling (request + response bytes per chunk) and the request direction alone (what a
 * pipelined upload on a full-duplex line can approach, since answers travel while requests do).
 */
function ceilings(len: number, chunk: number, baud: number): { ceiling: number; requestOnly: number } {
  const h = { op: 2 as const, version: 1, flags: 0, group: 1, seq: 0, id: 1 };
  let requests = 0;
  let responses = 0;
  for (let off = 0; off < len; off += chunk) {
    const data = Buffer.alloc(Math.min(chunk, len - off));
    const req = off === 0 ? { len, off, sha: Buffer.alloc(32), data } : { off, data };
    requests += lineBytesFor(encodeMessage(h, req).length);
    responses += lineBytesFor(encodeMessage({ ...h, op: 3 }, { off: Math.min(off + chunk, len) }).length);
  }
  return {
    ceiling: len / (((requests + responses) * 10) / baud),
    requestOnly: len / ((requests * 10) / baud),
  };
}

async function run(baud: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'soup-bench-smp-'));
  const payload = Buffer.alloc(Math.max(1, size - 0x200 - 40));
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 2654435761) >>> 24;
  const image = Buffer.from(buildMcubootImage({ version: '2.0.0', payload }));
  const module = await startSmpModule({
    protocol: 'smp',
    name: 'bench',
    link: { pty: join(dir, 'tty'), baud },
    slotSize: image.length + 4096,
    bufSize,
    flashWriteBytesPerSec: 0,
  });
  const port = await openSerialPort(module.path, baud);
  const client = new SmpClient(port, { clock: systemClock, baudRate: baud, name: 'bench' });
  try {
    const params = await client.params();
    const chunk = uploadChunkSize(params, image.length);
    const sha = createHash('sha256').update(image).digest();
    const started = process.hrtime.bigint();
    await uploadImage(
      client,
      { size: image.length, read: async (off, n) => image.subarray(off, off + n) },
      { sha, chunkSize: chunk, window: uploadWindow(params) },
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (module.device.slots[1]?.info.version !== '2.0.0')
      throw new Error('the module did not accept the image');
    const ours = image.length / seconds;
    const window = uploadWindow(params);
    const { ceiling, requestOnly } = ceilings(image.length, chunk, baud);
    console.log(
      `smp ${baud}: ours ${ours.toFixed(0)} B/s, ceiling ${ceiling.toFixed(0)} B/s, ratio ${(ours / ceiling).toFixed(3)} (target ≥ 0.95)` +
        ` [${image.length} bytes in ${seconds.toFixed(1)} s; bufSize ${bufSize}: ${chunk} data bytes per request,` +
        ` ${window} in flight; request direction alone ${requestOnly.toFixed(0)} B/s]`,
    );
  } finally {
    client.dispose();
    await port.close();
    await module.close();
    await rm(dir, { recursive: true, force: true });
  }
}

for (const baud of bauds) await run(baud);
