/**
 * The fuzzing harness shared by every target in `test/fuzz/`: fast-check properties (shrinking to a
 * minimal counterexample) run with the project's invariants.
 *
 * - case count per target: env `FUZZ_RUNS` (default 2000; the full run uses 100000);
 * - seed: env `FUZZ_SEED`, else a fresh one, printed so a failure reproduces
 *   (`FUZZ_SEED=<seed> npx vitest run test/fuzz/<target>.test.ts`);
 * - no crash: every rejection is a `SoupError` with a `SOUP_E_*` code (`expectCoded`);
 * - no hang: each case is time-bounded (`CASE_LIMIT_MS`; an async case is raced against it, a
 *   synchronous one is measured);
 * - no unhandled rejection during the run;
 * - memory bounded: the heap after the run (after a full GC) is at most `HEAP_GROWTH_LIMIT` above
 *   the heap before it.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { expect } from 'vitest';
import { SoupError } from '../../src/lib/errors.js';

export const FUZZ_RUNS = positive(process.env.FUZZ_RUNS, 2000);
export const FUZZ_SEED = process.env.FUZZ_SEED === undefined ? Date.now() | 0 : Number(process.env.FUZZ_SEED);
/** One case taking longer than this is a hang (generous: a loaded 2-core machine runs several suites). */
export const CASE_LIMIT_MS = 10_000;
export const HEAP_GROWTH_LIMIT = 64 * 1024 * 1024;

function positive(text: string | undefined, fallback: number): number {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The heap in use after a full collection. */
function settledHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Runs `fn`; if it throws, the throw must be a SoupError with a `SOUP_E_*` code. Returns the result. */
export function expectCoded<T>(fn: () => T): T | SoupError {
  try {
    return fn();
  } catch (err) {
    assertCoded(err);
    return err as SoupError;
  }
}

export function assertCoded(err: unknown): void {
  if (!(err instanceof SoupError) || !/^SOUP_E_[A-Z_]+$/.test(err.code)) {
    const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new Error(`rejection without a coded error: ${what}`);
  }
  expect(err.message.includes('\n'), `multi-line message: ${err.message}`).toBe(false);
}

/** Times a synchronous case: past CASE_LIMIT_MS it counts as a hang. */
export function bounded<T>(what: string, fn: () => T): T {
  const started = performance.now();
  const result = fn();
  const ms = performance.now() - started;
  if (ms > CASE_LIMIT_MS) throw new Error(`${what}: one case took ${Math.round(ms)} ms (hang)`);
  return result;
}

/** Races an async case against CASE_LIMIT_MS (or `limitMs`). */
export async function boundedAsync<T>(what: string, p: Promise<T>, limitMs = CASE_LIMIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${limitMs} ms (hang)`)), limitMs);
  });
  try {
    return await Promise.race([p, hang]);
  } finally {
    clearTimeout(timer);
  }
}

export interface FuzzReport {
  target: string;
  runs: number;
  seed: number;
  heapGrowthBytes: number;
}

/**
 * Checks `property` with FUZZ_RUNS cases and the invariants above. Prints one line with the target,
 * the case count, the seed and the heap growth.
 */
export async function fuzz<Ts extends [unknown, ...unknown[]]>(
  target: string,
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  runs = FUZZ_RUNS,
): Promise<FuzzReport> {
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  const before = settledHeap();
  try {
    await fc.assert(property as fc.IAsyncProperty<Ts>, {
      numRuns: runs,
      seed: FUZZ_SEED,
      endOnFailure: false,
    });
  } catch (err) {
    const cause = (err as Error).cause;
    const why = cause instanceof Error ? `\ncaused by ${cause.name}: ${cause.message}` : '';
    throw new Error(`fuzz ${target} (seed ${FUZZ_SEED}, FUZZ_RUNS=${runs}): ${(err as Error).message}${why}`);
  } finally {
    process.off('unhandledRejection', onRejection);
  }
  // let late rejections surface before judging
  await new Promise((r) => setImmediate(r));
  const growth = settledHeap() - before;
  const report = { target, runs, seed: FUZZ_SEED, heapGrowthBytes: growth };
  console.log(
    `fuzz ${target}: ${runs} cases, seed ${FUZZ_SEED}, heap growth ${(growth / 1024 / 1024).toFixed(1)} MiB`,
  );
  expect(
    rejections.map((r) => String(r)),
    `${target}: unhandled rejections`,
  ).toEqual([]);
  expect(growth, `${target}: heap growth over the run`).toBeLessThan(HEAP_GROWTH_LIMIT);
  return report;
}

/** Bytes biased towards a text alphabet (so parsers get past their first byte) with raw bytes mixed in. */
export function textishBytes(alphabet: string, maxLength = 200): fc.Arbitrary<Uint8Array> {
  const chars = [...Buffer.from(alphabet, 'latin1')];
  return fc
    .array(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...chars) }, fc.integer({ min: 0, max: 255 })), {
      maxLength,
    })
    .map((a) => Uint8Array.from(a));
}

/** A value with some bytes flipped, inserted, deleted or the tail cut: for mutating valid input. */
export function mutated(bytes: Uint8Array): fc.Arbitrary<Uint8Array> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
    const b = [...bytes];
    for (const e of edits) {
      const at = b.length === 0 ? 0 : e.at % (b.length + 1);
      if (e.kind === 'flip' && b.length > 0) b[at % b.length] = (b[at % b.length]! ^ (1 << e.bit)) & 0xff;
      else if (e.kind === 'insert') b.splice(at, 0, e.byte);
      else if (e.kind === 'delete') b.splice(at, e.n);
      else if (e.kind === 'cut') b.length = at;
    }
    return Uint8Array.from(b);
  });
}
