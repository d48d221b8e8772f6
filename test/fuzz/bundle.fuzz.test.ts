/**
 * Fuzzing the offline bundle opener (src/agent/bundle/open.ts) with fast-check: random bytes, random
 * but well-formed tar archives (valid checksums, hostile names, types and sizes), and mutations of a
 * real signed bundle (bit flips, overwrites, truncation, insertion, deletion, duplicated blocks).
 *
 * Invariants: no crash and no unhandled rejection (the property awaits every call), no hang (each call
 * must settle within HANG_MS), memory bounded (no read from the archive larger than the largest cap,
 * the 4 MiB recipe file), and every rejection a SoupError SOUP_E_BUNDLE or SOUP_E_DOWNGRADE of one line
 * that leaves no extracted folder behind.
 *
 * Cases per property: env FUZZ_RUNS (default 2000, what CI runs). The full run uses 100000:
 *   FUZZ_RUNS=100000 npx vitest run test/fuzz/bundle.fuzz.test.ts
 * A failure prints fast-check's seed and shrunk counterexample; replay with FUZZ_SEED=<seed>.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactFileName, recipeArtifacts } from '../../src/agent/bundle/manifest.js';
import { openBundle } from '../../src/agent/bundle/open.js';
import { type ByteSource, bufferSource } from '../../src/agent/bundle/tar.js';
import { SoupError } from '../../src/lib/errors.js';
import { generateSigningKey, type Jwks, signDetached } from '../../src/recipe/jws.js';
import { exampleRecipeFile } from '../recipe/fixtures.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const HANG_MS = 10_000;
const MAX_READ = 4 * 1024 * 1024;
const who = { tenant: 'DEFAULT', controllerId: 'gw-0001' };

const root = mkdtempSync(join(tmpdir(), 'soup-bundle-fuzz-'));
let trusted: Jwks;
let good: Buffer;
let n = 0;

afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  const keys = await generateSigningKey('oem-fuzz');
  trusted = keys.publicJwks;
  const file = exampleRecipeFile();
  const dir = join(root, 'src');
  mkdirSync(join(dir, 'artifacts'), { recursive: true });
  for (const a of recipeArtifacts(file)) {
    const bytes = Buffer.from(`artifact ${a.id}\n`.repeat(8));
    a.byteSize = bytes.length;
    a.sha256 = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(dir, 'artifacts', artifactFileName(a.id)), bytes);
  }
  for (const image of file.software.images ?? []) {
    const own = image._software.artifacts.find((a) => a.filename === image.filename);
    if (own !== undefined) image.sha256 = own.sha256;
  }
  const recipe = Buffer.from(JSON.stringify(file));
  writeFileSync(join(dir, 'recipe-file.json'), recipe);
  writeFileSync(
    join(dir, 'signatures.json'),
    JSON.stringify({
      signatures: [{ id: '1', format: 'jws', value: await signDetached(recipe, keys.privateJwk) }],
    }),
  );
  writeFileSync(
    join(dir, 'bundle.json'),
    JSON.stringify({
      format: 'soup-bundle/1',
      ...who,
      actionId: '17',
      recipe: { id: file._recipe.id, name: file._recipe.name, version: file.software.version },
      createdAt: '2026-11-22T10:00:00.000Z',
    }),
  );
  const out = join(root, 'good.tar');
  await tar.c({ file: out, cwd: dir, portable: true }, [
    'bundle.json',
    'recipe-file.json',
    'signatures.json',
    'artifacts',
  ]);
  good = readFileSync(out);
});

/** A source that records the largest single read. */
function watched(bytes: Uint8Array): { source: ByteSource; maxRead: () => number } {
  const inner = bufferSource(bytes);
  let max = 0;
  return {
    source: {
      size: inner.size,
      read: (offset, length) => {
        max = Math.max(max, length);
        return inner.read(offset, length);
      },
      close: () => inner.close(),
    },
    maxRead: () => max,
  };
}

/** Opens `bytes`; checks every invariant. */
async function opensOrRefuses(bytes: Uint8Array): Promise<void> {
  const dest = join(root, `out-${++n}`, 'bundle');
  const { source, maxRead } = watched(bytes);
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), HANG_MS);
  });
  const outcome = await Promise.race([
    openBundle(
      source,
      dest,
      { ...who, installed: { id: '1', name: 'gw-fleet-A', version: '2.0' } },
      async () => trusted,
    ).then(
      () => 'opened' as const,
      (err: unknown) => err,
    ),
    hang,
  ]);
  clearTimeout(timer);
  expect(outcome).not.toBe('hang');
  expect(maxRead()).toBeLessThanOrEqual(MAX_READ);
  if (outcome === 'opened') {
    rmSync(join(root, `out-${n}`), { recursive: true, force: true });
    return;
  }
  expect(outcome).toBeInstanceOf(SoupError);
  const err = outcome as SoupError;
  expect(['SOUP_E_BUNDLE', 'SOUP_E_DOWNGRADE']).toContain(err.code);
  expect(err.message.split('\n')).toHaveLength(1);
  expect(existsSync(dest)).toBe(false);
}

/** A ustar header with a valid checksum (the fields fast-check picks; the rest zero). */
function header(name: string, flag: string, size: number, prefix = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100, 'latin1');
  h.write(`${size.toString(8).padStart(11, '0').slice(-11)}\0`, 124, 'latin1');
  h.write(flag, 156, 1, 'latin1');
  h.write('ustar\u000000', 257, 'latin1');
  h.write(prefix, 345, 155, 'utf8');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

const names = fc.oneof(
  fc.constantFrom(
    'bundle.json',
    'recipe-file.json',
    'signatures.json',
    'artifacts/',
    'artifacts/901',
    'artifacts/903',
    'artifacts/..',
    'artifacts/.',
    '../etc/passwd',
    '/etc/passwd',
    './bundle.json',
    'artifacts/%2E%2E',
    'artifacts/a/b',
  ),
  fc.string({ maxLength: 120 }),
);

const entry = fc.record({
  name: names,
  flag: fc.constantFrom('0', '\0', '5', '1', '2', 'x', 'g', 'L', 'K', '7'),
  data: fc.oneof(
    fc.uint8Array({ maxLength: 1200 }),
    fc
      .constantFrom('{}', '[]', '{"signatures":[]}', '30 path=artifacts/903\n', '12 size=99\n')
      .map((s) => Buffer.from(s)),
  ),
  lie: fc.integer({ min: -600, max: 600 }),
  prefix: fc.constantFrom('', 'artifacts', '..', 'x'.repeat(155)),
});

function archive(
  entries: { name: string; flag: string; data: Uint8Array; lie: number; prefix: string }[],
  end: boolean,
): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const size = Math.max(0, e.data.length + (e.lie % 3 === 0 ? e.lie : 0));
    parts.push(header(e.name, e.flag, size, e.prefix));
    const padded = Buffer.alloc(Math.ceil(e.data.length / 512) * 512);
    Buffer.from(e.data).copy(padded);
    parts.push(padded);
  }
  if (end) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

type Mutation = { kind: string } & Partial<Record<'at' | 'bit' | 'length' | 'from' | 'to', number>> & {
    bytes?: Uint8Array;
  };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 600 }),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 1024 }),
  }),
  fc.record({ kind: fc.constant('block' as const), from: fc.nat(), to: fc.nat() }),
);

function mutate(bytes: Buffer, steps: Mutation[]): Buffer {
  let b = Buffer.from(bytes);
  for (const m of steps) {
    const at = b.length === 0 ? 0 : (m.at ?? 0) % b.length;
    switch (m.kind) {
      case 'flip':
        if (b.length > 0) b[at] = (b[at] as number) ^ (1 << (m.bit as number));
        break;
      case 'set':
        Buffer.from(m.bytes as Uint8Array).copy(b, at);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes as Uint8Array), b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + (m.length as number))]);
        break;
      default: {
        // copy one 512-byte block over another (a header where data was, data where a header was)
        const blocks = Math.floor(b.length / 512);
        if (blocks > 1)
          b.copy(
            b,
            ((m.to as number) % blocks) * 512,
            ((m.from as number) % blocks) * 512,
            (((m.from as number) % blocks) + 1) * 512,
          );
      }
    }
  }
  return b;
}

const params = (runs: number) => ({ numRuns: runs, ...(SEED === undefined ? {} : { seed: SEED }) });
const timeout = Math.max(60_000, RUNS * 50);

describe('bundle opener fuzzing', () => {
  it('the good bundle opens (the fuzzing starts from a bundle that passes)', async () => {
    const dest = join(root, 'good-out');
    await openBundle(bufferSource(good), dest, who, async () => trusted);
    expect(existsSync(join(dest, 'recipe-file.json'))).toBe(true);
  });

  it(`random bytes (${RUNS} cases)`, { timeout }, async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), opensOrRefuses), params(RUNS));
  });

  it(`well-formed tar archives of hostile entries (${RUNS} cases)`, { timeout }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 8 }), fc.boolean(), async (entries, end) => {
        await opensOrRefuses(archive(entries, end));
      }),
      params(RUNS),
    );
  });

  it(`mutations of a signed bundle (${RUNS} cases)`, { timeout }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (steps) => {
        await opensOrRefuses(mutate(good, steps));
      }),
      params(RUNS),
    );
  });
});
