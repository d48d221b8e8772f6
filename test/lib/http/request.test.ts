/**
 * requestStream (`src/agent/net/request.ts`) against real loopback servers: what is sent, bodies that end
 * by closing, backpressure, time bounds, cancellation, redirects (credentials stay with their origin),
 * truncated bodies and connection reuse.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpTimeout, requestStream } from '../../../src/lib/http/request.js';
import { closeTransport, createTransport, type Transport } from '../../../src/lib/http/transport.js';

const servers: Server[] = [];
const transports: Transport[] = [];
afterEach(async () => {
  for (const t of transports.splice(0)) closeTransport(t);
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((r) => {
          (s as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
          s.close(() => r());
        }),
    ),
  );
});

function transport(): Transport {
  const t = createTransport();
  transports.push(t);
  return t;
}

async function listen(server: Server): Promise<string> {
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  return listen(createHttpServer(handler));
}

/** A raw server answering one `Connection: close` response of `size` bytes, then closing. */
async function closingServer(
  size: number,
  contentLength: boolean,
): Promise<{ url: string; closed: Promise<void>; ended: Promise<void>; sent: () => number }> {
  let closedResolve!: () => void;
  const closed = new Promise<void>((r) => {
    closedResolve = r;
  });
  let endedResolve!: () => void;
  const ended = new Promise<void>((r) => {
    endedResolve = r;
  });
  let sent = 0;
  const server = createServer((socket: Socket) => {
    socket.on('error', () => undefined);
    socket.once('close', closedResolve);
    socket.once('finish', endedResolve);
    socket.once('data', () => {
      const length = contentLength ? `Content-Length: ${size}\r\n` : '';
      socket.write(`HTTP/1.1 200 OK\r\n${length}Connection: close\r\n\r\n`);
      const block = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        while (sent < size) {
          const n = Math.min(block.length, size - sent);
          sent += n;
          if (!socket.write(block.subarray(0, n))) {
            socket.once('drain', pump);
            return;
          }
        }
        socket.end();
      };
      pump();
    });
  });
  const base = await listen(server);
  return { url: `${base}/x`, closed, ended, sent: () => sent };
}

async function readAll(body: AsyncIterable<Buffer>): Promise<{ bytes: number; error?: unknown }> {
  let bytes = 0;
  try {
    for await (const chunk of body) bytes += chunk.length;
  } catch (error) {
    return { bytes, error };
  }
  return { bytes };
}

async function text(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk)); // each view is reused
  return Buffer.concat(chunks).toString('utf8');
}

const options = { headers: {}, headersTimeout: 10_000, bodyTimeout: 10_000 };

function echo(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => {
    body += c;
  });
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        method: req.method,
        url: req.url,
        body,
        auth: req.headers.authorization ?? null,
        length: req.headers['content-length'] ?? null,
      }),
    );
  });
}

describe('requestStream', () => {
  it('sends method, path with query, headers and body, and reads the answer', async () => {
    const base = await httpServer(echo);
    const res = await requestStream(transport(), {
      ...options,
      url: `${base}/echo?x=1`,
      method: 'POST',
      headers: { authorization: 'TargetToken t' },
      body: 'hellö',
    });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(await text(res.body))).toEqual({
      method: 'POST',
      url: '/echo?x=1',
      body: 'hellö',
      auth: 'TargetToken t',
      length: '6',
    });
  });

  it('a closing response read only after the server has sent all and closed its side arrives whole', async () => {
    // small enough for the socket buffers, so the server can finish before anything is read
    const { url, ended, closed } = await closingServer(256 * 1024, true);
    const res = await requestStream(transport(), { url, ...options });
    await ended;
    expect(await readAll(res.body)).toEqual({ bytes: 256 * 1024 });
    await closed;
  });

  it('a closing response larger than any buffer arrives whole, with or without Content-Length', async () => {
    for (const contentLength of [true, false]) {
      const size = 24 * 1024 * 1024 + 5;
      const { url, closed } = await closingServer(size, contentLength);
      const res = await requestStream(transport(), { url, ...options });
      expect(await readAll(res.body)).toEqual({ bytes: size });
      await closed;
    }
  });

  it('bytes arrive exactly, in order, across slab boundaries', async () => {
    const payload = randomBytes(3 * 1024 * 1024 + 12_345);
    const base = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(payload.length) });
      for (let at = 0; at < payload.length; at += 70_001) res.write(payload.subarray(at, at + 70_001));
      res.end();
    });
    const res = await requestStream(transport(), { ...options, url: `${base}/random` });
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of res.body) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    expect(bytes).toBe(payload.length);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
  });

  it('a slow reader holds the sender back: what is in flight stays bounded, the body arrives whole', async () => {
    const size = 64 * 1024 * 1024;
    const { url, sent } = await closingServer(size, false);
    const res = await requestStream(transport(), { url, ...options });
    let consumed = 0;
    let aheadMax = 0;
    for await (const chunk of res.body) {
      consumed += chunk.length;
      aheadMax = Math.max(aheadMax, sent() - consumed);
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(consumed).toBe(size);
    // without backpressure the sender finishes at once (64 MiB ahead); with it, kernel buffers and the
    // stream's queue are all that can be ahead
    expect(aheadMax).toBeLessThan(16 * 1024 * 1024);
  });

  it('a body cut short of its Content-Length ends in an error, after the bytes that came', async () => {
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => {
        socket.end(`HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n${'z'.repeat(500)}`);
      });
    });
    const url = `${await listen(server)}/short`;
    const res = await requestStream(transport(), { url, ...options });
    const { bytes, error } = await readAll(res.body);
    expect(bytes).toBe(500);
    expect(error).toBeInstanceOf(Error);
  });

  it('a reset before the first read ends the body with an error, after whatever arrived (no hang)', async () => {
    let resetDone!: () => void;
    const reset = new Promise<void>((r) => {
      resetDone = r;
    });
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('close', resetDone);
      socket.once('data', () => {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n`);
        // less than a stream's buffer: the client reads it and sees the reset before anything consumes it
        socket.write(Buffer.alloc(10_000, 0x62), () => socket.resetAndDestroy());
      });
    });
    const url = `${await listen(server)}/reset`;
    const res = await requestStream(transport(), { url, ...options, bodyTimeout: 500 });
    await reset;
    await new Promise((r) => setImmediate(r)); // the client's socket sees the reset
    const { bytes, error } = await readAll(res.body);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(HttpTimeout);
    expect(bytes).toBeLessThanOrEqual(10_000);
  });

  it('no response head within headersTimeout: HttpTimeout', async () => {
    const server = createServer((socket) => socket.on('error', () => undefined).resume()); // reads, never answers
    const url = `${await listen(server)}/silent`;
    await expect(requestStream(transport(), { ...options, url, headersTimeout: 150 })).rejects.toBeInstanceOf(
      HttpTimeout,
    );
  });

  it('a body that stalls past bodyTimeout fails with HttpTimeout; time the reader holds a chunk does not count', async () => {
    let finish: (() => void) | undefined;
    const base = await httpServer((req, res) => {
      res.writeHead(200, { 'content-length': '8' });
      res.write('abcd');
      if (req.url === '/finishes') finish = () => res.end('efgh');
    });
    const stalled = await requestStream(transport(), { ...options, url: `${base}/stalls`, bodyTimeout: 150 });
    const { bytes, error } = await readAll(stalled.body);
    expect(bytes).toBe(4);
    expect(error).toBeInstanceOf(HttpTimeout);

    const slow = await requestStream(transport(), { ...options, url: `${base}/finishes`, bodyTimeout: 150 });
    const chunks: string[] = [];
    for await (const chunk of slow.body) {
      chunks.push(chunk.toString());
      if (chunks.length === 1) {
        await new Promise((r) => setTimeout(r, 450)); // three bounds while holding the first chunk
        finish?.();
      }
    }
    expect(chunks.join('')).toBe('abcdefgh');
  });

  it('an abort before the head rejects with the reason; during the body the reader sees it', async () => {
    let heads = 0;
    const base = await httpServer((req, res) => {
      heads++;
      if (req.url === '/never') return;
      res.writeHead(200, { 'content-length': '10' });
      res.write('12345');
    });
    const before = new AbortController();
    const pending = requestStream(transport(), { ...options, url: `${base}/never`, signal: before.signal });
    before.abort(new Error('stop now'));
    await expect(pending).rejects.toThrow('stop now');

    const during = new AbortController();
    const res = await requestStream(transport(), { ...options, url: `${base}/half`, signal: during.signal });
    const reading = readAll(res.body);
    during.abort(new Error('cancelled by operator'));
    const { error } = await reading;
    expect((error as Error).message).toBe('cancelled by operator');
    expect(heads).toBeGreaterThanOrEqual(1);
  });

  it('leaving the body loop early drops the connection (the server sees it close)', async () => {
    let socketClosed: Promise<unknown> | undefined;
    const base = await httpServer((req, res) => {
      socketClosed = new Promise((r) => req.socket.once('close', r));
      res.writeHead(200, { 'content-length': String(32 * 1024 * 1024) });
      res.write(Buffer.alloc(1024 * 1024));
    });
    const res = await requestStream(transport(), { ...options, url: `${base}/big` });
    for await (const _ of res.body) break;
    await socketClosed;
  });

  it('follows redirects up to maxRedirections; credentials go to the same origin only', async () => {
    const other = await httpServer(echo);
    const base = await httpServer((req, res) => {
      if (req.url === '/here') res.writeHead(302, { location: '/echo?from=here' }).end();
      else if (req.url === '/away') res.writeHead(307, { location: `${other}/cdn/file` }).end();
      else if (req.url === '/see-other') res.writeHead(303, { location: '/echo' }).end();
      else echo(req, res);
    });
    const auth = { authorization: 'TargetToken secret' };
    const here = await requestStream(transport(), {
      ...options,
      url: `${base}/here`,
      headers: auth,
      maxRedirections: 5,
    });
    expect(JSON.parse(await text(here.body))).toMatchObject({
      url: '/echo?from=here',
      auth: 'TargetToken secret',
    });
    expect(here.url).toBe(`${base}/echo?from=here`);

    const away = await requestStream(transport(), {
      ...options,
      url: `${base}/away`,
      headers: auth,
      maxRedirections: 5,
    });
    expect(JSON.parse(await text(away.body))).toMatchObject({ url: '/cdn/file', auth: null });

    const seeOther = await requestStream(transport(), {
      ...options,
      url: `${base}/see-other`,
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
      maxRedirections: 1,
    });
    expect(JSON.parse(await text(seeOther.body))).toMatchObject({ method: 'GET', url: '/echo', body: '' });

    const notFollowed = await requestStream(transport(), { ...options, url: `${base}/here` });
    expect(notFollowed.statusCode).toBe(302);
    await notFollowed.dump();
  });

  it('keeps the connection alive between requests', async () => {
    const sockets = new Set<unknown>();
    const base = await httpServer((req, res) => {
      sockets.add(req.socket);
      res.end('ok');
    });
    const t = transport();
    for (let i = 0; i < 3; i++) {
      const res = await requestStream(t, { ...options, url: `${base}/${i}` });
      expect(await text(res.body)).toBe('ok');
    }
    expect(sockets.size).toBe(1);
  });
});
