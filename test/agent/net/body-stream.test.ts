/**
 * requestStream on responses that end by closing the connection: undici ≤ 7 crashes the process when such
 * a response ends while its parser is paused (nodejs/undici#5360), undici 8 leaves the body unfinished;
 * requestStream never pauses those and bounds what it buffers instead.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { getGlobalDispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ReceiveOverflow, requestStream } from '../../../src/agent/net/body-stream.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A raw HTTP/1.1 server answering one `Connection: close` response of `size` bytes, then closing. */
async function closingServer(
  size: number,
  contentLength: boolean,
): Promise<{ url: string; closed: Promise<void> }> {
  let closedResolve!: () => void;
  const closed = new Promise<void>((r) => {
    closedResolve = r;
  });
  server = createServer((socket: Socket) => {
    socket.on('error', () => undefined);
    socket.once('close', closedResolve);
    socket.once('data', () => {
      const length = contentLength ? `Content-Length: ${size}\r\n` : '';
      socket.write(`HTTP/1.1 200 OK\r\n${length}Connection: close\r\n\r\n`);
      const block = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
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
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, closed };
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

const options = { headers: {}, headersTimeout: 10_000, bodyTimeout: 10_000 };

describe('requestStream', () => {
  it('a closing response read only after the server is gone arrives whole, without a crash', async () => {
    const { url, closed } = await closingServer(6 * 1024 * 1024, true);
    const res = await requestStream(getGlobalDispatcher(), { url, ...options });
    await closed;
    expect(await readAll(res.body)).toEqual({ bytes: 6 * 1024 * 1024 });
  });

  it('a close-delimited body (no Content-Length) arrives whole', async () => {
    const { url, closed } = await closingServer(3 * 1024 * 1024 + 5, false);
    const res = await requestStream(getGlobalDispatcher(), { url, ...options });
    await closed;
    expect(await readAll(res.body)).toEqual({ bytes: 3 * 1024 * 1024 + 5 });
  });

  it('an unread closing response beyond 16 MiB is aborted: what was buffered, then ReceiveOverflow', async () => {
    const { url, closed } = await closingServer(64 * 1024 * 1024, true);
    const res = await requestStream(getGlobalDispatcher(), { url, ...options });
    await closed;
    const { bytes, error } = await readAll(res.body);
    expect(error).toBeInstanceOf(ReceiveOverflow);
    expect(bytes).toBeGreaterThan(16 * 1024 * 1024);
    expect(bytes).toBeLessThan(20 * 1024 * 1024);
  });
});
