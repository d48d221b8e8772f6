/**
 * A small seeded PRNG (mulberry32) for generated data: fuzz tests, reference checks and benchmark data
 * sets are reproducible, and a failure names its seed. Not for anything secret.
 */
export function prng(seed: number): { next(): number; int(n: number): number; bytes(n: number): Uint8Array } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, bytes: (n) => Uint8Array.from({ length: n }, () => int(256)) };
}
