/**
 * The one safe path segment (src/lib/path-segment.ts), property-tested with fast-check and hostile ids
 * and file names: what it accepts becomes one harmless file name, different names never share one (also
 * when case is folded), the encoding is invertible, and what it refuses is one SOUP_E_PATH line.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { distinctFiles } from '../../src/agent/steps/download.js';
import { isSoupError } from '../../src/lib/errors.js';
import { decodePathSegment, MAX_SEGMENT, pathSegment, pathSegments } from '../../src/lib/path-segment.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);

function refused(value: string): string {
  try {
    pathSegment(value, 'artifact id');
  } catch (err) {
    expect(isSoupError(err, 'SOUP_E_PATH')).toBe(true);
    const message = (err as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    return message;
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
}

/** Any string, lone surrogates and separators included. */
const anyName = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('.', '..', '...', 'a.part', 'a', 'A', '%41', '%', 'con', 'NUL', ' ', '\t', '~', 'a~b'),
);

function accepted(value: string): string | undefined {
  try {
    return pathSegment(value);
  } catch (err) {
    expect(isSoupError(err, 'SOUP_E_PATH')).toBe(true);
    return undefined;
  }
}

describe('pathSegment', () => {
  it('refuses empty, ".", "..", separators, NUL and lone surrogates, in one line', () => {
    expect(refused('')).toBe('artifact id "" cannot name a file: it is empty');
    expect(refused('.')).toBe('artifact id "." cannot name a file: it is a relative folder');
    expect(refused('..')).toBe('artifact id ".." cannot name a file: it is a relative folder');
    expect(refused('../../etc/passwd')).toMatch(/holds a path separator/);
    expect(refused('a\\b')).toMatch(/holds a path separator/);
    expect(refused('/abs')).toMatch(/holds a path separator/);
    expect(refused('a\0b')).toMatch(/holds a NUL character/);
    expect(refused('a\ud800b')).toMatch(/lone UTF-16 surrogate/);
    expect(refused('\udc00')).toMatch(/lone UTF-16 surrogate/);
    expect(refused('x'.repeat(MAX_SEGMENT + 1))).toMatch(/encodes to more than 200 characters/);
    expect(refused('\n'.repeat(70))).toMatch(
      /^artifact id "(\\n){64}"… cannot name a file: it encodes to more than/,
    );
  });

  it('decimal ids map to themselves; everything else is escaped readably', () => {
    expect(pathSegment('903')).toBe('903');
    expect(pathSegment('brake-2.1.0.bin')).toBe('brake-2%2E1%2E0%2Ebin');
    expect(pathSegment('A b%')).toBe('%41%20b%25');
    expect(pathSegment('é')).toBe('%C3%A9');
    expect(pathSegments(['os', 'b.bin'])).toBe('os~b%2Ebin');
  });

  it('an accepted name is one harmless segment and decodes back (property)', () => {
    fc.assert(
      fc.property(anyName, (name) => {
        const seg = accepted(name);
        if (seg === undefined) return;
        expect(seg).toMatch(/^(?:[a-z0-9_-]|%[0-9A-F]{2})+$/);
        expect(seg.length).toBeLessThanOrEqual(MAX_SEGMENT);
        expect(seg).not.toBe('.');
        expect(seg).not.toBe('..');
        expect(decodePathSegment(seg)).toBe(name);
      }),
      { numRuns: RUNS },
    );
  });

  it('different names never share a segment, even case-folded (property)', () => {
    fc.assert(
      fc.property(anyName, anyName, (a, b) => {
        const sa = accepted(a);
        const sb = accepted(b);
        if (sa === undefined || sb === undefined || a === b) return;
        expect(sa.toLowerCase()).not.toBe(sb.toLowerCase());
      }),
      { numRuns: RUNS },
    );
  });

  it('joined segments and writer suffixes cannot collide (property)', () => {
    fc.assert(
      fc.property(anyName, anyName, anyName, (a, b, c) => {
        let joined: string;
        let single: string | undefined;
        try {
          joined = pathSegments([a, b]);
        } catch {
          return;
        }
        single = accepted(c);
        if (single !== undefined) {
          expect(joined).not.toBe(single); // a single segment never holds `~`
          expect(`${single}.part`).not.toBe(accepted(`${c}.part`)); // nor a `.`
        }
        try {
          if (pathSegments([c, a]) === joined) expect([c, a]).toEqual([a, b]);
        } catch {
          // refused: nothing to compare
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('decodePathSegment refuses what pathSegment never makes', () => {
    for (const s of ['', '.', '..', 'A', '%2e', '%zz', '%C3', 'a.b', 'a/b', '%2F', '%00', '%ED%A0%80'])
      expect(decodePathSegment(s), s).toBeUndefined();
  });

  it('hostile names become files inside the folder, one file each', () => {
    const dir = mkdtempSync(join(tmpdir(), 'soup-segment-'));
    const hostile = [
      'x',
      'X',
      'x.part',
      'x%2Epart',
      '%',
      '..%2F',
      'con',
      ' ',
      'a b',
      'ü',
      'u\u0308',
      '\u00fc',
      '-rf',
    ];
    for (const name of hostile) writeFileSync(join(dir, pathSegment(name)), name);
    const files = readdirSync(dir);
    expect(files).toHaveLength(new Set(hostile).size);
    expect(files.map((f) => decodePathSegment(f)).sort()).toEqual([...new Set(hostile)].sort());
  });
});

describe('a path shared by two artifacts is an error', () => {
  const ref = (id: string, path: string, sha256 = 'a'.repeat(64)) => ({
    id,
    filename: `${id}.bin`,
    type: 'firmware',
    size: 1,
    sha256,
    url: 'http://h/a',
    path,
  });

  it('the same artifact twice is fetched once; two artifacts on one path are refused', () => {
    expect(distinctFiles([ref('1', '/d/1'), ref('1', '/d/1'), ref('2', '/d/2')])).toHaveLength(2);
    let err: unknown;
    try {
      distinctFiles([ref('1', '/d/x'), ref('2', '/d/x')]);
    } catch (e) {
      err = e;
    }
    expect(isSoupError(err, 'SOUP_E_PATH')).toBe(true);
    expect((err as Error).message).toBe('artifacts "1" and "2" (2.bin) would share the file /d/x');
    expect(() => distinctFiles([ref('1', '/d/x'), ref('1', '/d/x', 'b'.repeat(64))])).toThrow(/would share/);
  });
});
