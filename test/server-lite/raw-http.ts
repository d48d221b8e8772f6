/**
 * HTTP/1.1 over a plain TCP socket, for tests that must send a request line exactly as written (a URL
 * parser would resolve `..` and `%2E%2E` before the server sees them) or a body other than it declares.
 */
import { connect } from 'node:net';

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  // biome-ignore lint/suspicious/noExplicitAny: test replies are inspected field by field
  json: any;
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = Number.parseInt(body.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/**
 * Sends one request with `Connection: close` and reads the answer until the server closes. `body` is
 * sent as is; `declaredLength` overrides Content-Length; `chunks` sends a chunked body instead.
 */
export function rawRequest(
  port: number,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: Buffer; declaredLength?: number; chunks?: Buffer[] } = {},
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (d) => received.push(d));
    socket.on('error', (err) => {
      // the server may close while the body is still being written: what it answered is still there
      if (
        (err as NodeJS.ErrnoException).code === 'EPIPE' ||
        (err as NodeJS.ErrnoException).code === 'ECONNRESET'
      )
        return;
      reject(err);
    });
    socket.on('close', () => {
      const all = Buffer.concat(received);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        reject(new Error(`no HTTP answer to ${method} ${path}: ${JSON.stringify(all.toString('latin1'))}`));
        return;
      }
      const [statusLine, ...lines] = all.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      let body: Buffer = all.subarray(end + 4);
      if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        json = undefined;
      }
      resolve({ status: Number(statusLine?.split(' ')[1]), headers, body, json });
    });
    const head = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
    for (const [k, v] of Object.entries(opts.headers ?? {})) head.push(`${k}: ${v}`);
    if (opts.chunks) head.push('Transfer-Encoding: chunked');
    else if (opts.body !== undefined || opts.declaredLength !== undefined)
      head.push(`Content-Length: ${opts.declaredLength ?? opts.body?.length ?? 0}`);
    socket.write(`${head.join('\r\n')}\r\n\r\n`);
    if (opts.chunks) {
      for (const c of opts.chunks)
        socket.write(Buffer.concat([Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n')]));
      socket.write('0\r\n\r\n');
    } else if (opts.body) socket.write(opts.body);
  });
}
