/**
 * Handler `dummy` (SWUpdate's dummy_handler): consumes the whole image stream and discards it, for dry
 * runs and tests. Revertible; verify checks that the stream was complete and hashed as declared.
 */
import { SoupError } from '../lib/errors.js';
import { sha256OfFile } from './file-io.js';
import type { Handler } from './types.js';

export function createDummyHandler(): Handler {
  return {
    type: 'dummy',
    revertible: () => true,
    prepare: async () => {},
    transfer: async (job, ctx) => {
      const actual = await sha256OfFile(job.image.path, job.image.size, ctx.signal);
      if (actual !== job.image.sha256) {
        throw new SoupError(
          'SOUP_E_HASH',
          `${job.image.filename}: SHA-256 ${actual}, expected ${job.image.sha256}`,
        );
      }
      ctx.progress(job.image.size, job.image.size);
    },
    activate: async () => {},
    verify: async () => {},
    commit: async () => {},
    revert: async () => {},
  };
}
