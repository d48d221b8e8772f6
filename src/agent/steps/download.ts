/**
 * Step 6, download: every artifact the plan needs (images and their sets, scripts) into the action's
 * directory through the resumable, hash-checking downloader; a file already complete is not fetched
 * again. Release notes and licenses are fetched earlier, with the consent request (`downloadOffers`).
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { copyFileDurably, exists, sha256OfFile } from '../../handlers/file-io.js';
import { SoupError } from '../../lib/errors.js';
import type { ArtifactRef } from '../action.js';
import { downloadArtifact } from '../net/download.js';
import type { StepEnv } from './env.js';

async function complete(a: ArtifactRef): Promise<boolean> {
  if (!(await exists(a.path))) return false;
  try {
    return (await sha256OfFile(a.path, a.size)) === a.sha256;
  } catch {
    return false;
  }
}

/**
 * The refs to fetch, one per file: the same artifact named twice (an image shared by modules) is fetched
 * once; two different artifacts on the same path are an error (SOUP_E_PATH), never a skipped download.
 */
export function distinctFiles(refs: ArtifactRef[]): ArtifactRef[] {
  const byPath = new Map<string, ArtifactRef>();
  for (const a of refs) {
    const seen = byPath.get(a.path);
    if (seen === undefined) byPath.set(a.path, a);
    else if (seen.id !== a.id || seen.sha256 !== a.sha256 || seen.size !== a.size)
      throw new SoupError(
        'SOUP_E_PATH',
        `artifacts ${JSON.stringify(seen.id)} and ${JSON.stringify(a.id)} (${a.filename}) would share the file ${a.path}`,
      );
  }
  return [...byPath.values()];
}

export async function downloadAll(env: StepEnv, refs: ArtifactRef[]): Promise<void> {
  for (const a of distinctFiles(refs)) {
    if (await complete(a)) continue;
    await mkdir(dirname(a.path), { recursive: true });
    if (env.ctx.offline !== undefined) {
      await copyFileDurably(a.url, a.path, a.size, { signal: env.signal });
      if (!(await complete(a)))
        throw new SoupError(
          'SOUP_E_HASH',
          `bundle artifact ${a.id} (${a.filename}): size or SHA-256 differs from the recipe file`,
        );
      continue;
    }
    env.log.info({ artifact: a.id, filename: a.filename, size: a.size }, 'downloading');
    await downloadArtifact({
      url: a.url,
      dest: a.path,
      size: a.size,
      sha256: a.sha256,
      // no byte for one request timeout (default 30 s, the downloader's own default): resume
      idleTimeoutMs: env.config.server.requestTimeoutMs,
      auth: env.api.auth,
      ...(env.api.transport === undefined ? {} : { transport: env.api.transport }),
      signal: env.signal,
    });
  }
}

export async function downloadNeeded(env: StepEnv): Promise<void> {
  const modules = env.ctx.modules.filter((m) => m.action === 'update');
  for (const m of modules) m.state = 'downloading';
  env.save();
  await downloadAll(env, [...modules.flatMap((m) => m.artifacts), ...env.ctx.scripts]);
  for (const m of modules) m.state = 'pending';
  env.save();
}

export async function downloadOffers(env: StepEnv): Promise<void> {
  await downloadAll(env, env.ctx.offers);
}
