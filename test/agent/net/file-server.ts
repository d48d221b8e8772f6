/**
 * A static artifact server for download tests (127.0.0.1, port 0): `GET|HEAD /file` with `ETag`,
 * `Accept-Ranges`, `Range: bytes=N-[M]` → 206, unsatisfiable → 416 `bytes *\/len`, `If-Range` (a stale
 * validator → the whole file, 200), `/missing` → 404, an optional required `Authorization`.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export interface FileServerOptions {
  content: Buffer;
  etag?: string;
  /** Answer 401 unless `Authorization` equals this (a function: decides per header). */
  authorization?: string | ((header: string | undefined) => boolean);
}

export class FileServer {
  readonly requests: SeenRequest[] = [];
  content: Buffer;
  etag: string | undefined;
  private server: Server;

  private constructor(private readonly options: FileServerOptions) {
    this.content = options.content;
    this.etag = options.etag ?? '"v1"';
    this.server = createServer((req, res) => {
      this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
      const auth = this.options.authorization;
      if (auth !== undefined) {
        const ok =
          typeof auth === 'string' ? req.headers.authorization === auth : auth(req.headers.authorization);
        if (!ok) {
          res.writeHead(401, { 'content-type': 'text/plain' }).end('unauthorized');
          return;
        }
      }
      if (!req.url?.startsWith('/file')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      const body = this.content;
      const base: Record<string, string> = {
        'accept-ranges': 'bytes',
        'content-type': 'application/octet-stream',
      };
      if (this.etag !== undefined) base.etag = this.etag;
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      const ifRange = req.headers['if-range'];
      const rangeApplies = range !== null && (ifRange === undefined || ifRange === this.etag);
      if (!rangeApplies) {
        res.writeHead(200, { ...base, 'content-length': String(body.length) });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      const start = Number(range[1]);
      const end = range[2] === '' ? body.length - 1 : Math.min(Number(range[2]), body.length - 1);
      if (start >= body.length || end < start) {
        res.writeHead(416, { ...base, 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, {
        ...base,
        'content-length': String(end - start + 1),
        'content-range': `bytes ${start}-${end}/${body.length}`,
      });
      res.end(req.method === 'HEAD' ? undefined : body.subarray(start, end + 1));
    });
  }

  static async start(options: FileServerOptions): Promise<FileServer> {
    const s = new FileServer(options);
    s.server.listen(0, '127.0.0.1');
    await once(s.server, 'listening');
    return s;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/file'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
