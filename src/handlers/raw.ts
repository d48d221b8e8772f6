/**
 * Handler `raw`: a block device or partition of the gateway (SWUpdate's `raw`). Not revertible: the
 * engine runs it after every revertible module is verified, and from its first byte the update rolls
 * forward.
 *
 *   transfer  write the image in place at offset 0 of the target (a file is created when absent), fsync
 *   activate  nothing to boot
 *   verify    re-read the first `size` bytes of the target and compare their SHA-256
 *   commit    nothing left to do
 *   revert    impossible: throws SOUP_E_NOT_REVERTIBLE
 */
import { open } from 'node:fs/promises';
import { SoupError } from '../lib/errors.js';
import { copyFileDurably, exists, sha256OfFile } from './file-io.js';
import { targetOf } from './rawfile.js';
import type { Handler } from './types.js';

export function createRawHandler(): Handler {
  return {
    type: 'raw',
    revertible: () => false,
    prepare: async (job) => {
      const target = targetOf(job);
      if (!(await exists(target))) {
        const f = await open(target, 'a');
        await f.close();
      }
    },
    transfer: async (job, ctx) => {
      await copyFileDurably(job.image.path, targetOf(job), job.image.size, {
        inPlace: true,
        signal: ctx.signal,
        onProgress: ctx.progress,
      });
    },
    activate: async () => {},
    verify: async (job, ctx) => {
      const target = targetOf(job);
      const actual = await sha256OfFile(target, job.image.size, ctx.signal);
      if (actual !== job.image.sha256) {
        throw new SoupError(
          'SOUP_E_HASH',
          `${target}: SHA-256 ${actual} after writing, expected ${job.image.sha256}`,
        );
      }
    },
    commit: async () => {},
    revert: async (job) => {
      throw new SoupError(
        'SOUP_E_NOT_REVERTIBLE',
        `module ${job.module.name}: a raw write cannot be reverted`,
      );
    },
  };
}
