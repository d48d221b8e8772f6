import { describe, expect, it } from 'vitest';
import { naturalCompare, naturalEquals } from '../../src/recipe/natural.js';
import { prng } from '../helpers/prng.js';

const sign = (n: number): number => Math.sign(n) + 0; // never -0

const rng = (seed: number): (() => number) => prng(seed).next;

function versionLike(next: () => number): string {
  const alphabet = [
    '0',
    '00',
    '1',
    '9',
    '10',
    '010',
    '99',
    '123456789012345678901234567890',
    '.',
    '-',
    'a',
    'b',
    'rc',
    'v',
    'Z',
    'é',
    '~',
  ];
  const n = 1 + Math.floor(next() * 6);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(next() * alphabet.length)];
  return s;
}

describe('naturalCompare', () => {
  it.each([
    ['1.10', '1.9', 1],
    ['3.7.1', '3.7.10', -1],
    ['5.1', '5.1-beta', -1],
    ['v2', 'v10', -1],
    ['01.2', '1.2', 0],
  ])('spec example %s vs %s', (a, b, expected) => {
    expect(sign(naturalCompare(a, b))).toBe(expected);
    expect(sign(naturalCompare(b, a))).toBe(0 - expected);
  });

  it('compares digit runs of any length by value, leading zeros ignored', () => {
    expect(naturalCompare('99999999999999999999999', '100000000000000000000000')).toBeLessThan(0);
    expect(naturalCompare('000000000000000000000000007', '7')).toBe(0);
    expect(naturalCompare('0', '00')).toBe(0);
    expect(naturalCompare('0', '1')).toBeLessThan(0);
    expect(naturalEquals('1.02.003', '1.2.3')).toBe(true);
  });

  it('compares text runs by UTF-16 code units, a prefix first', () => {
    expect(naturalCompare('a', 'b')).toBeLessThan(0);
    expect(naturalCompare('B', 'a')).toBeLessThan(0); // 'B' (66) < 'a' (97): no case folding
    expect(naturalCompare('ab1', 'abc')).toBeLessThan(0); // run 'ab' is a prefix of run 'abc'
    expect(naturalCompare('1a', 'a1')).toBeLessThan(0); // '1' (49) < 'a' (97)
    expect(naturalCompare('-1', '1')).toBeLessThan(0); // '-' (45) < '1' (49)
  });

  it('treats the string that runs out first as the smaller', () => {
    expect(naturalCompare('', '')).toBe(0);
    expect(naturalCompare('', '0')).toBeLessThan(0);
    expect(naturalCompare('1.2', '1.2.0')).toBeLessThan(0);
    expect(naturalCompare('1.2', '1.2')).toBe(0);
  });

  it('is antisymmetric, reflexive and transitive on generated strings', () => {
    const next = rng(42);
    const values = Array.from({ length: 300 }, () => versionLike(next));
    const violations: string[] = [];
    for (const a of values) {
      if (naturalCompare(a, a) !== 0) violations.push(`not reflexive: ${a}`);
      for (const b of values) {
        if (sign(naturalCompare(a, b)) !== 0 - sign(naturalCompare(b, a)))
          violations.push(`not antisymmetric: ${a} ${b}`);
      }
    }
    // after sorting, every pair in order must compare <= 0: a total preorder, hence transitive
    const sorted = [...values].sort(naturalCompare);
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i + 1; j < sorted.length; j++) {
        if (naturalCompare(sorted[i]!, sorted[j]!) > 0)
          violations.push(`not transitive: ${sorted[i]} ${sorted[j]}`);
      }
    }
    // equal values compare the same to everything else
    let equalPairs = 0;
    for (const a of values) {
      for (const b of values) {
        if (a === b || naturalCompare(a, b) !== 0) continue;
        equalPairs++;
        for (const c of values) {
          if (sign(naturalCompare(a, c)) !== sign(naturalCompare(b, c)))
            violations.push(`equality: ${a} ${b} ${c}`);
        }
      }
    }
    expect(violations).toEqual([]);
    expect(equalPairs).toBeGreaterThan(0); // the generator does make distinct but equal strings (0 vs 00)
  });
});
