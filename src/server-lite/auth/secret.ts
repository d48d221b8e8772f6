/** Constant-time comparison of secrets (tokens, passwords). */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant time for equal lengths; a length mismatch answers at once (the length is not the secret). */
export function sameSecret(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
