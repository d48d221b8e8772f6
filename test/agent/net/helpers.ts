/** Shared bits of the networking tests: temp folders, artifact bytes, a no-credentials auth. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthProvider } from '../../../src/agent/net/auth.js';

export function artifact(size: number): { bytes: Buffer; sha256: string } {
  const bytes = randomBytes(size);
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'soup-net-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const noAuth: AuthProvider = {
  headers: async () => ({}),
  unauthorized: async () => false,
  transport: undefined,
};

/** Back-off for tests: waits of a millisecond or two. */
export const quickBackoff = { baseMs: 1, capMs: 2, jitter: 0 };

export async function caught(
  p: Promise<unknown>,
): Promise<Error & { code?: string; detail?: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}
