/**
 * Serving artifact bytes (RFC 7233): `Accept-Ranges: bytes`, one `Range` → 206 with `Content-Range`,
 * unsatisfiable → 416 whose Content-Range is `bytes` star-slash size, `If-Range` with the ETag (else the
 * whole file), `If-Match` mismatch → 412, `If-None-Match` match → 304, HEAD answers the headers only. Streamed from disk.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { ApiError, notFound } from './errors.js';

export interface FileToServe {
  path: string;
  size: number;
  /** Quoted. */
  etag: string;
  filename: string;
  lastModified?: number;
}

/**
 * `Content-Disposition: attachment` for any file name (RFC 6266 with RFC 8187's `filename*`): the
 * `filename` parameter is an ASCII stand-in (anything outside printable ASCII, `"`, `\` and `%` become
 * `_`) for old clients; `filename*=UTF-8''…` carries the exact name percent-encoded. Header values cannot
 * hold characters beyond Latin-1, so a raw name would make Node throw (a 500).
 */
export function contentDisposition(filename: string): string {
  let fallback = '';
  for (const c of filename) {
    const code = c.codePointAt(0) as number;
    fallback += code < 0x20 || code > 0x7e || c === '"' || c === '\\' || c === '%' ? '_' : c;
  }
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${(c.codePointAt(0) as number).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

function tagMatches(header: string, etag: string): boolean {
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === etag);
}

/** Parses one `bytes=` range; multiple ranges are served as the whole file (allowed by RFC 7233). */
function parseRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return null;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (b !== '' && Number(b) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

export async function serveFile(req: IncomingMessage, res: ServerResponse, file: FileToServe): Promise<void> {
  try {
    await stat(file.path);
  } catch {
    throw notFound('artifact.bytesMissing', `the bytes of ${file.filename} are not stored`);
  }
  const base: Record<string, string | number> = {
    'accept-ranges': 'bytes',
    etag: file.etag,
    'content-type': 'application/octet-stream',
    'content-disposition': contentDisposition(file.filename),
  };
  if (file.lastModified !== undefined) base['last-modified'] = new Date(file.lastModified).toUTCString();
  const ifMatch = req.headers['if-match'];
  if (ifMatch && !tagMatches(ifMatch, file.etag))
    throw new ApiError(412, 'soup.artifact.preconditionFailed', 'If-Match does not match the artifact ETag');
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch && tagMatches(ifNoneMatch, file.etag)) {
    res.writeHead(304, base);
    res.end();
    return;
  }
  let range: { start: number; end: number } | null = null;
  const rangeHeader = req.headers.range;
  const ifRange = req.headers['if-range'];
  const rangeApplies =
    rangeHeader !== undefined && (ifRange === undefined || String(ifRange).trim() === file.etag);
  if (rangeApplies) {
    const r = parseRange(rangeHeader, file.size);
    if (r === 'unsatisfiable') {
      const text = JSON.stringify({
        errorCode: 'soup.artifact.rangeNotSatisfiable',
        message: `range ${rangeHeader} is outside the ${file.size} bytes of ${file.filename}`,
      });
      res.writeHead(416, {
        'content-range': `bytes */${file.size}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    range = r;
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? file.size - 1;
  const length = file.size === 0 ? 0 : end - start + 1;
  const headers = { ...base, 'content-length': length };
  if (range) res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${file.size}` });
  else res.writeHead(200, headers);
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  try {
    await pipeline(createReadStream(file.path, { start, end }), res);
  } catch {
    res.destroy();
  }
}
