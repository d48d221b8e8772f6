/**
 * Young-generation collections paced by received bytes (`src/lib/http/scavenge.ts`). The probe is what
 * the module is for: dead ArrayBuffers (like socket read buffers) stop counting as resident memory once
 * 1 MiB was received, and not before. It runs in a process of its own, where nothing else allocates.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const moduleUrl = new URL('../../../dist/src/lib/http/scavenge.js', import.meta.url).href;

const script = `
import { setTimeout as sleep } from 'node:timers/promises';
const { noteReceived } = await import(${JSON.stringify(moduleUrl)});
const KiB = 1024, MiB = 1024 * KiB;
const held = () => process.memoryUsage().arrayBuffers / MiB;
/**
 * Leaves 32 MiB of dead ArrayBuffers, then runs step; the MiB of them freed by it. V8 sweeps array buffers
 * on a background thread after the collection: waits up to 2 s for 24 MiB to go.
 */
async function freedBy(step) {
  (() => { for (let i = 0; i < 32; i++) Buffer.allocUnsafeSlow(MiB).fill(1); })();
  const before = held();
  step();
  for (let waited = 0; waited < 2000 && before - held() < 24; waited += 20) await sleep(20);
  return Math.round(before - held());
}
await freedBy(() => noteReceived(1 * MiB)); // settles start-up collections, makes the private gc
const out = {
  below: await freedBy(() => noteReceived(256 * KiB)),
  reaching: await freedBy(() => noteReceived(768 * KiB)),
  small: await freedBy(() => { for (let i = 0; i < 16; i++) noteReceived(64 * KiB); }),
  gcGlobal: typeof globalThis.gc,
};
process.stdout.write(JSON.stringify(out));
`;

describe('noteReceived', () => {
  it('frees dead array buffers when the received bytes reach 1 MiB, counted across calls, not before', () => {
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
    ) as { below: number; reaching: number; small: number; gcGlobal: string };
    expect(out.below).toBeLessThan(8); // 256 KiB received: nothing collected yet
    expect(out.reaching).toBeGreaterThan(24); // 256 + 768 KiB: a collection
    expect(out.small).toBeGreaterThan(24); // 16 × 64 KiB
    expect(out.gcGlobal).toBe('undefined'); // no global gc appears
  });
});
