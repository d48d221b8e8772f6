/** `soup-agent simulate -c FILE` as a process (needs `npx tsc -p tsconfig.json` first). */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { createSmpImageHandler } from '../../src/handlers/smp-image.js';
import { systemClock } from '../../src/lib/clock.js';
import { SmpClient } from '../../src/protocols/smp/client.js';
import { makeCtx, makeJob } from '../protocols/smp/handler-harness.js';
import { testLinks, writeImage } from '../protocols/smp/helpers.js';

const MAIN = join(import.meta.dirname, '../../dist/src/cli/main.js');

function run(args: string[]): ChildProcess {
  return spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function exited(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

describe('soup-agent simulate', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints one JSON line per module then ready, serves SMP, and exits 0 on SIGTERM', async () => {
    dir = await mkdtemp(join(tmpdir(), 'soup-sim-'));
    const file = join(dir, 'sim.json');
    await writeFile(
      file,
      JSON.stringify({
        modules: [
          {
            protocol: 'smp',
            name: 'display',
            link: { pty: join(dir, 'display'), baud: 115200 },
            serialNumber: 'SN-5000-1',
            attributes: { 'module-id': '5000', hwVersion: '1.2' },
            slotSize: 262144,
            bufSize: 512,
            flashWriteBytesPerSec: 0,
            image: '1.0.0',
            faults: [{ type: 'disconnect', atOffset: 65536, count: 1 }],
          },
          {
            protocol: 'uds',
            name: 'brake',
            link: { slcan: join(dir, 'can0'), bitrate: 500000 },
            txId: '0x7e8',
            rxId: '0x7e0',
            serialNumber: 'SN-778812',
            dids: { F187: '1337', F193: '1.7' },
            image: '2.0.1',
            security: { level: 1, key: 'xor:0xA5A5A5A5' },
            memory: { address: '0x08000000', size: 1048576 },
            maxBlockLength: 4095,
            faults: [],
          },
          { protocol: 'smp', name: 'boot', link: { pty: join(dir, 'boot') }, mode: 'serial-recovery' },
        ],
      }),
    );
    const child = run(['simulate', '-c', file]);
    const done = exited(child);
    const lines: unknown[] = [];
    const rl = createInterface({ input: child.stdout! });
    for await (const line of rl) {
      lines.push(JSON.parse(line));
      if ((lines.at(-1) as { ready?: boolean }).ready) break;
    }
    expect(lines).toEqual([
      { name: 'display', protocol: 'smp', path: join(dir, 'display') },
      { name: 'brake', protocol: 'uds', path: join(dir, 'can0'), txId: '0x7e8', rxId: '0x7e0' },
      { name: 'boot', protocol: 'smp', path: join(dir, 'boot') },
      { ready: true },
    ]);
    const links = testLinks();
    const port = await links.serial(join(dir, 'display'), 115200);
    const client = new SmpClient(port, { clock: systemClock, baudRate: 115200 });
    expect(await client.identity()).toMatchObject({ serialNumber: 'SN-5000-1', 'module-id': '5000' });
    client.dispose();
    // the demo's path: an update through the handler against the simulator process
    const handler = createSmpImageHandler({ bootTimeoutMs: 10_000 });
    const job = await makeJob(await writeImage(dir, '2.0.0', 12 * 1024), join(dir, 'display'), '2.0.0', {
      baudRate: 115200,
      timeoutMs: 1000,
    });
    const ctx = makeCtx(links);
    for (const step of ['prepare', 'transfer', 'activate', 'verify', 'commit'] as const)
      await handler[step](job, ctx);
    const after = new SmpClient(port, { clock: systemClock, baudRate: 115200 });
    expect((await after.imageState()).find((s) => s.active)).toMatchObject({
      version: '2.0.0',
      confirmed: true,
    });
    after.dispose();
    await links.closeAll();
    child.kill('SIGTERM');
    expect(await done).toEqual({ code: 0, stderr: '' });
  }, 60_000);

  it('refuses a bad config with one line naming the key path, exit 2', async () => {
    dir = await mkdtemp(join(tmpdir(), 'soup-sim-'));
    const file = join(dir, 'bad.json');
    await writeFile(
      file,
      JSON.stringify({
        modules: [{ protocol: 'smp', name: 'd', link: { pty: join(dir, 'd'), baud: 'fast' } }],
      }),
    );
    expect(await exited(run(['simulate', '-c', file]))).toEqual({
      code: 2,
      stderr: `soup-agent: ${file}: modules[0].link.baud: must be integer\n`,
    });
    await writeFile(
      file,
      JSON.stringify({ modules: [{ protocol: 'smp', name: 'd', link: { pty: 'x' }, fault: [] }] }),
    );
    expect((await exited(run(['simulate', '-c', file]))).stderr).toBe(
      `soup-agent: ${file}: modules[0]: unknown key "fault"\n`,
    );
    await writeFile(
      file,
      JSON.stringify({ modules: [{ protocol: 'uds', name: 'b', link: {}, txId: 1, rxId: 2 }] }),
    );
    expect((await exited(run(['simulate', '-c', file]))).stderr).toBe(
      `soup-agent: ${file}: modules[0].link: needs "slcan": <path> or "memory": <name>\n`,
    );
    await writeFile(file, JSON.stringify({ modules: [{ protocol: 'can', name: 'd' }] }));
    expect((await exited(run(['simulate', '-c', file]))).stderr).toBe(
      `soup-agent: ${file}: modules[0].protocol: must be "smp" or "uds"\n`,
    );
  }, 60_000);
});
