/**
 * UDS transfer throughput over simulated classic CAN at the bit time of every frame (111 bits per
 * 8-byte frame), through the real stack:
 *   --link=memory (default): UdsClient → ISO-TP → paced MemoryCanBus → simulated ECU
 *   --link=slcan:            UdsClient → ISO-TP → SlcanBus → socat pseudo-terminal → simulated SLCAN
 *                            adapter → simulated CAN wire → simulated ECU (the ECU in this process)
 * The slcan figure also carries the pty hops (socat is a separate process) of every turnaround:
 * on a loaded machine it measures the scheduler as much as the stack.
 *
 * Ceiling (module-protocols.md): consecutive frames back to back carry 7 bytes per 111 bits, so
 * 7 × R / 111 bytes/s. The figure times the whole programming sequence (session, security, erase,
 * download, transfer, exit, check) for an image of `size` bytes.
 *
 *   node dist/bench/uds.js [sizeBytes=1048576] [bitrate=500000] [--link=slcan|memory]
 */
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/lib/clock.js';
import { silentLogger } from '../src/lib/log.js';
import { openSerialPort } from '../src/protocols/buses/serial.js';
import { openSlcanBus } from '../src/protocols/buses/slcan.js';
import { connectEcu } from '../src/protocols/uds/connect.js';
import { ecuSettings } from '../src/protocols/uds/ecu-config.js';
import { programEcu } from '../src/protocols/uds/programming.js';
import { xorKey } from '../src/protocols/uds/security.js';
import { buildSoupImage, simulatedMemoryBus, startUdsEcus } from '../src/simulate/uds/index.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const linkArg = process.argv.find((a) => a.startsWith('--link='))?.slice('--link='.length) ?? 'memory';
if (linkArg !== 'slcan' && linkArg !== 'memory') throw new Error('--link is slcan or memory');
const size = Number(args[0] ?? 1 << 20);
const bitrate = Number(args[1] ?? 500_000);
if (!Number.isInteger(size) || size < 128) throw new Error('size must be an integer ≥ 128');

const dir = await mkdtemp(join(tmpdir(), 'soup-bench-uds-'));
try {
  const payload = Buffer.alloc(size - 64);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 151 + 7) & 0xff;
  const imagePath = join(dir, 'image.bin');
  await writeFile(imagePath, buildSoupImage({ version: '9.9.9', payload }));
  const busPath = join(dir, 'can0');
  const [sim] = await startUdsEcus([
    {
      protocol: 'uds',
      name: 'bench',
      link: linkArg === 'slcan' ? { slcan: busPath, bitrate } : { memory: 'bench', bitrate },
      txId: '0x7e8',
      rxId: '0x7e0',
      security: { level: 1, key: 'xor:0xA5A5A5A5' },
      memory: { address: '0x08000000', size: size + 4096 },
      maxBlockLength: 4095,
    },
  ]);
  const bus =
    linkArg === 'slcan'
      ? await openSlcanBus(await openSerialPort(busPath, 115200), { bitrate, name: `slcan:${busPath}` })
      : simulatedMemoryBus('bench').attach();
  const settings = ecuSettings({
    name: 'bench',
    txId: '0x7e0',
    rxId: '0x7e8',
    memory: { address: '0x08000000', addressLength: 4, sizeLength: 4 },
  });
  const conn = connectEcu(bus, settings, systemClock);
  const file = await open(imagePath, 'r');
  const started = performance.now();
  await programEcu(
    conn.client,
    {
      size,
      read: async (offset, length) => {
        const buf = Buffer.alloc(length);
        await file.read(buf, 0, length, offset);
        return buf;
      },
    },
    {
      address: 0x08000000n,
      addressLength: 4,
      sizeLength: 4,
      eraseRoutine: 0xff00,
      checkRoutine: 0xff01,
      security: { level: 1, key: xorKey('0xA5A5A5A5') },
    },
    { startAt: 0, acknowledged: () => {}, clock: systemClock, log: silentLogger() },
  );
  const seconds = (performance.now() - started) / 1000;
  await file.close();
  conn.close();
  await bus.close();
  await sim!.close();
  const ours = size / seconds;
  const ceiling = (7 * bitrate) / 111;
  const label = bitrate % 1000 === 0 ? `${bitrate / 1000}k` : String(bitrate);
  console.log(
    `uds ${label}: ours ${ours.toFixed(0)} B/s, ceiling ${ceiling.toFixed(0)} B/s, ratio ${(ours / ceiling).toFixed(3)} (target ≥ 0.90)`,
  );
  console.log(
    `  ${size} bytes in ${seconds.toFixed(2)} s over ${linkArg === 'slcan' ? 'SLCAN on a socat pty' : 'the paced in-memory bus'}, simulated wire paced at ${bitrate} bit/s, load average ${loadavg()[0]!.toFixed(1)}`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
