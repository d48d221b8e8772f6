/**
 * Handler `rawfile`: a file of the gateway itself (SWUpdate's `rawfile`).
 *
 *   transfer  stream the image to `<target>.soup-new` beside the target, fsync (repeatable: rewrites it)
 *   activate  nothing to boot: the new file waits beside the old one
 *   verify    re-read `<target>.soup-new` and compare its SHA-256 with the image's
 *   commit    rename over the target + fsync of the directory, then re-read the target's hash
 *             (idempotent: after a crash mid-commit the temp file is gone and the target already matches)
 *   revert    delete `<target>.soup-new`: the old file was never touched
 */
import { dirname } from 'node:path';
import { SoupError } from '../lib/errors.js';
import { copyFileDurably, exists, removeIfPresent, renameDurably, sha256OfFile, syncDir } from './file-io.js';
import type { Handler, HandlerJob } from './types.js';

export const RAWFILE_SUFFIX = '.soup-new';

export function targetOf(job: HandlerJob): string {
  const { config } = job.module;
  const target = config.kind === 'local' ? config.entry.target : undefined;
  if (target === undefined) {
    throw new SoupError(
      'SOUP_E_CONFIG',
      `module ${job.module.name}: no target file configured for its handler`,
    );
  }
  return target;
}

async function checkHash(path: string, job: HandlerJob, signal: AbortSignal): Promise<void> {
  const actual = await sha256OfFile(path, undefined, signal);
  if (actual !== job.image.sha256) {
    throw new SoupError(
      'SOUP_E_HASH',
      `${path}: SHA-256 ${actual} after writing, expected ${job.image.sha256}`,
    );
  }
}

export function createRawfileHandler(): Handler {
  return {
    type: 'rawfile',
    revertible: () => true,
    prepare: async (job) => {
      const target = targetOf(job);
      if (!(await exists(dirname(target)))) {
        throw new SoupError('SOUP_E_IO', `module ${job.module.name}: directory of ${target} does not exist`);
      }
    },
    transfer: async (job, ctx) => {
      const temp = targetOf(job) + RAWFILE_SUFFIX;
      await copyFileDurably(job.image.path, temp, job.image.size, {
        signal: ctx.signal,
        onProgress: ctx.progress,
      });
      await syncDir(dirname(temp));
    },
    activate: async () => {},
    verify: async (job, ctx) => {
      const temp = targetOf(job) + RAWFILE_SUFFIX;
      if (await exists(temp)) return checkHash(temp, job, ctx.signal);
      // committed already (a crash after the rename): the target itself must match
      return checkHash(targetOf(job), job, ctx.signal);
    },
    commit: async (job, ctx) => {
      const target = targetOf(job);
      const temp = target + RAWFILE_SUFFIX;
      if (await exists(temp)) await renameDurably(temp, target);
      await checkHash(target, job, ctx.signal);
    },
    revert: async (job) => {
      const temp = targetOf(job) + RAWFILE_SUFFIX;
      await removeIfPresent(temp);
      await syncDir(dirname(temp));
    },
  };
}
