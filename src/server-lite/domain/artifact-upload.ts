/**
 * Artifact bytes arriving over HTTP are streamed into a temporary file in the data directory while
 * md5, sha1 and sha256 are computed on the way; nothing is held whole in memory. Multipart (`file`
 * field, busboy) or a raw body with `?filename=`. Over `limit` bytes → 413 and the partial file is removed.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { ApiError, badRequest } from '../http/errors.js';

export interface Upload {
  tmpPath: string;
  filename: string;
  md5: string;
  sha1: string;
  sha256: string;
  size: number;
  /** Hashes the client declared (multipart fields md5sum/sha1sum/sha256sum), to be compared. */
  declared: { md5?: string; sha1?: string; sha256?: string };
}

/** 1–256 characters, no path separators, no control characters, not `.`/`..` (003: filename max 256). */
export function checkFilename(name: string): string {
  if (name.length === 0 || name.length > 256)
    throw badRequest('artifact.invalidFilename', `artifact filename must have 1 to 256 characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[/\\\u0000-\u001f\u007f]/.test(name) || name === '.' || name === '..')
    throw badRequest(
      'artifact.invalidFilename',
      `artifact filename ${JSON.stringify(name)} must not contain a path`,
    );
  return name;
}

function tooLarge(limit: number): ApiError {
  return new ApiError(413, 'soup.artifact.tooLarge', `artifact exceeds ${limit} bytes`);
}

async function streamToTmp(source: Readable, tmpDir: string, limit: number) {
  const tmpPath = join(tmpDir, `upload-${randomUUID()}`);
  const md5 = createHash('md5');
  const sha1 = createHash('sha1');
  const sha256 = createHash('sha256');
  let size = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > limit) {
        done(tooLarge(limit));
        return;
      }
      md5.update(chunk);
      sha1.update(chunk);
      sha256.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(source, hasher, createWriteStream(tmpPath, { flags: 'wx' }));
  } catch (err) {
    await rm(tmpPath, { force: true });
    throw err;
  }
  return { tmpPath, size, md5: md5.digest('hex'), sha1: sha1.digest('hex'), sha256: sha256.digest('hex') };
}

export async function receiveUpload(
  req: IncomingMessage,
  query: URLSearchParams,
  tmpDir: string,
  limit: number,
): Promise<Upload> {
  const declaredLength = Number(req.headers['content-length'] ?? Number.NaN);
  const type = req.headers['content-type'] ?? '';
  if (!type.toLowerCase().startsWith('multipart/form-data')) {
    const filename = query.get('filename');
    if (filename === null)
      throw badRequest('artifact.filenameMissing', 'raw artifact upload needs ?filename=');
    checkFilename(filename);
    if (Number.isFinite(declaredLength) && declaredLength > limit) {
      req.resume();
      throw tooLarge(limit);
    }
    const r = await streamToTmp(req, tmpDir, limit);
    return { ...r, filename, declared: {} };
  }
  return new Promise<Upload>((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 1, fields: 10, fieldSize: 1024 } });
    } catch (err) {
      reject(
        badRequest('artifact.malformedMultipart', `malformed multipart body: ${(err as Error).message}`),
      );
      return;
    }
    const fields: Record<string, string> = {};
    let pending: Promise<Awaited<ReturnType<typeof streamToTmp>> & { name: string }> | undefined;
    bb.on('field', (name, value) => {
      fields[name] = value;
    });
    bb.on('file', (field, stream, info) => {
      if (field !== 'file' || pending) {
        stream.resume();
        return;
      }
      const started = streamToTmp(stream, tmpDir, limit).then((r) => ({ ...r, name: info.filename ?? '' }));
      started.catch(() => req.unpipe(bb));
      pending = started;
    });
    bb.on('error', (err) =>
      reject(
        badRequest('artifact.malformedMultipart', `malformed multipart body: ${(err as Error).message}`),
      ),
    );
    bb.on('close', () => {
      if (!pending) {
        reject(badRequest('artifact.fileMissing', "multipart upload has no 'file' part"));
        return;
      }
      pending
        .then(async (r) => {
          const filename = fields.filename ?? r.name;
          try {
            checkFilename(filename);
          } catch (err) {
            await rm(r.tmpPath, { force: true });
            throw err;
          }
          const declared: Upload['declared'] = {};
          if (fields.md5sum) declared.md5 = fields.md5sum.toLowerCase();
          if (fields.sha1sum) declared.sha1 = fields.sha1sum.toLowerCase();
          if (fields.sha256sum) declared.sha256 = fields.sha256sum.toLowerCase();
          return {
            tmpPath: r.tmpPath,
            filename,
            md5: r.md5,
            sha1: r.sha1,
            sha256: r.sha256,
            size: r.size,
            declared,
          };
        })
        .then(resolve, reject);
    });
    req.on('error', reject);
    req.pipe(bb);
  });
}
