/** Request bodies: JSON with a byte limit (413 above it, 400 when malformed), read as a stream. */
import type { IncomingMessage } from 'node:http';
import { ApiError, badRequest } from './errors.js';

export async function readRaw(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new ApiError(
      413,
      'soup.request.tooLarge',
      `request body of ${declared} bytes exceeds ${limit} bytes`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw new ApiError(413, 'soup.request.tooLarge', `request body exceeds ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON body; an empty body is `undefined`. The message names the byte offset of a syntax error. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const raw = await readRaw(req, limit);
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw badRequest('request.malformedJson', `malformed JSON body: ${(err as Error).message}`);
  }
}
