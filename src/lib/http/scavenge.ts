/**
 * Young-generation collections paced by received bytes, so a fast download does not leave dead socket
 * buffers resident.
 *
 * Each body chunk Node's HTTP parser hands out is a fresh buffer, garbage as soon as it is copied into a
 * slab (`body-reader.ts`). But V8 frees an ArrayBuffer's memory only when a collection finds it dead, and
 * the small JS objects of a download fill the young generation slowly: over loopback, 25–35 MB of dead
 * buffers piled up between collections, a quarter of the process's peak resident memory
 * (`bench/download-rss.ts`). A scavenge costs well under a millisecond when the young generation holds
 * little, so one per RECEIVED_PER_SCAVENGE bytes received keeps the pile at about that size; since the
 * chunks are dead by then, none is ever promoted to the old generation.
 *
 * `gc()` is exposed to one private context only (`--expose-gc` set, the context made, the flag cleared):
 * no global `gc` appears, and other contexts are as before. That is a V8 flag toggled at run time, kept
 * because it measurably pays (docs/footprint.md, `bench/update-rss.ts`, the unit's environment): a whole
 * update of a 64 MiB / 1 GiB image peaks at 76.6 / 78.2 MiB with a scavenge per MiB received, 82.8 /
 * 84.7 MiB with one per 4 MiB, and 111–114 MiB without them. A smaller young generation alone does
 * not do it: a download allocates few small objects per 64 KiB buffer, so even a 1 MiB semi-space fills
 * only every few hundred MiB.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const RECEIVED_PER_SCAVENGE = 1024 * 1024;

type Gc = (options: { type: 'minor'; execution: 'sync' }) => void;

let collect: Gc | null | undefined;
let sinceLast = 0;

function gcFunction(): Gc | null {
  if (collect !== undefined) return collect;
  try {
    setFlagsFromString('--expose-gc');
    const fn: unknown = runInNewContext('gc');
    collect = typeof fn === 'function' ? (fn as Gc) : null;
  } catch {
    collect = null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  return collect;
}

/** Counts `bytes` received; every RECEIVED_PER_SCAVENGE bytes, one young-generation collection. */
export function noteReceived(bytes: number): void {
  sinceLast += bytes;
  if (sinceLast < RECEIVED_PER_SCAVENGE) return;
  sinceLast = 0;
  gcFunction()?.({ type: 'minor', execution: 'sync' });
}
