/**
 * Benchmark helper process (not a benchmark itself): a node:http static file server on 127.0.0.1:0 with
 * ETag, Range (206) and If-Range, serving the files named on the command line as `/<index>`.
 * Prints `{"port":N}` on stdout once listening; stops on SIGTERM.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const files = process.argv
  .slice(2)
  .map((path, i) => ({ path, size: statSync(path).size, etag: `"bench-${i}"` }));

const server = createServer((req, res) => {
  const file = files[Number((req.url ?? '').slice(1))];
  if (file === undefined) {
    res.writeHead(404).end();
    return;
  }
  const headers = { 'accept-ranges': 'bytes', etag: file.etag, 'content-type': 'application/octet-stream' };
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const ifRange = req.headers['if-range'];
  const start = range && (ifRange === undefined || ifRange === file.etag) ? Number(range[1]) : 0;
  if (start >= file.size && file.size > 0) {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${file.size}` }).end();
    return;
  }
  if (range && start > 0) {
    res.writeHead(206, {
      ...headers,
      'content-length': String(file.size - start),
      'content-range': `bytes ${start}-${file.size - 1}/${file.size}`,
    });
  } else {
    res.writeHead(200, { ...headers, 'content-length': String(file.size) });
  }
  createReadStream(file.path, { start, highWaterMark: 1024 * 1024 }).pipe(res);
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
