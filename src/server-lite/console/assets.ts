/**
 * The console's static assets: built at build time into `dist/console/` (`tsconfig.console.json` and
 * `console/static/`), read once into memory and served from there only. A request names an asset by
 * its relative path; anything not in the built set is 404, so no path reaches the file system.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ctx } from '../app.js';
import { notFound } from '../http/errors.js';

interface Asset {
  bytes: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Only scripts, styles and images from server-lite itself; no inline script, no framing. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** `dist/console` beside the compiled server (`dist/src/server-lite/console/`), also when run from sources. */
function assetDir(): string | null {
  const candidates = ['../../../console/', '../../../dist/console/'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  return candidates.find((d) => existsSync(join(d, 'index.html')) && existsSync(join(d, 'main.js'))) ?? null;
}

function load(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const type = TYPES[extname(name)];
        if (type === undefined) continue;
        const bytes = readFileSync(path);
        const etag = `"${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}"`;
        assets.set(relative(dir, path).split(sep).join('/'), { bytes, type, etag });
      }
    }
  };
  walk(dir);
  return assets;
}

let cached: Map<string, Asset> | undefined;

function assets(): Map<string, Asset> {
  if (cached === undefined) {
    const dir = assetDir();
    cached = dir === null ? new Map() : load(dir);
  }
  return cached;
}

/** Serves one built asset (`index.html` for the console's root); 404 for anything else. */
export function serveAsset(ctx: Ctx, name: string): void {
  const asset = assets().get(name);
  if (!asset) {
    if (assets().size === 0)
      throw notFound('console.notBuilt', 'the console is not built (npm run build builds it)');
    throw notFound('console.notFound', `the console has no file ${name}`);
  }
  const headers: Record<string, string | number> = {
    'content-type': asset.type,
    etag: asset.etag,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy': CONTENT_SECURITY_POLICY,
  };
  if (ctx.req.headers['if-none-match'] === asset.etag) {
    ctx.res.writeHead(304, headers);
    ctx.res.end();
    return;
  }
  ctx.res.writeHead(200, { ...headers, 'content-length': asset.bytes.length });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : asset.bytes);
}
