/** Request bodies: JSON with a byte limit (413 above it, 400 when malformed), read as a stream. */
import type { IncomingMessage } from 'node:http';
import { jsonSyntaxFault } from '../../recipe/json-syntax.js';
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
  return parseJsonBody(raw);
}

/**
 * Parses JSON bytes; a syntax error names its byte offset in one line. The message never quotes the
 * body (`JSON.parse`'s own message does, control characters and line breaks included).
 */
export function parseJsonBody(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    const fault = jsonSyntaxFault(raw);
    throw badRequest(
      'request.malformedJson',
      fault ? `malformed JSON body at byte ${fault.offset}: ${fault.message}` : 'malformed JSON body',
    );
  }
}
