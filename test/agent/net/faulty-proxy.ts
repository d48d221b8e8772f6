/**
 * A faulty HTTP/1.1 reverse proxy over real TCP sockets on 127.0.0.1, for download tests.
 *
 *   client ──TCP──► proxy ──TCP──► upstream (one upstream connection per request)
 *
 * Steps per client connection: read the request head (up to CRLF CRLF), record it, forward it with
 * `Connection: close` and whatever request body follows, read the response head, rewrite it for the
 * fault, then relay the body counting its bytes and injecting the fault. The response always carries
 * `Connection: close`, so every request uses its own connection and takes the next fault from the queue.
 *
 * Faults (per request, in queue order; an empty queue asks the policy, if one is set, else relays
 * faithfully):
 *   reset     after N body bytes: TCP RST to the client
 *   truncate  after N body bytes: clean FIN to the client (fewer bytes than Content-Length)
 *   stall     after N body bytes: nothing more is sent, the connection stays open until the client gives up
 *   flip      the body byte at offset N has its lowest bit inverted
 *   slow      the body relayed at `bytesPerSec`
 *   length    Content-Length announced `delta` bytes more than the body has (body unchanged)
 *   extend    `extra` bytes appended to the body; announced in Content-Length, or (announce: false)
 *             Content-Length removed and the body delimited by closing the connection
 */
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

export type Fault =
  | { kind: 'none' }
  | { kind: 'reset'; after: number }
  | { kind: 'truncate'; after: number }
  | { kind: 'stall'; after: number }
  | { kind: 'flip'; at: number }
  | { kind: 'slow'; bytesPerSec: number }
  | { kind: 'length'; delta: number }
  | { kind: 'extend'; extra: number; announce: boolean };

export interface ProxiedRequest {
  method: string;
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** Response status from upstream (0 when none arrived). */
  status: number;
  /** Body bytes the proxy sent to the client. */
  bodyBytesSent: number;
  fault: Fault['kind'];
}

const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;

interface Head {
  line: string;
  headers: [string, string][];
}

function parseHead(raw: string): Head {
  const [line = '', ...rest] = raw.split('\r\n');
  const headers: [string, string][] = [];
  for (const h of rest) {
    const colon = h.indexOf(':');
    if (colon > 0) headers.push([h.slice(0, colon).trim(), h.slice(colon + 1).trim()]);
  }
  return { line, headers };
}

function serializeHead(head: Head): Buffer {
  return Buffer.from(`${[head.line, ...head.headers.map(([k, v]) => `${k}: ${v}`)].join('\r\n')}\r\n\r\n`);
}

function setHeader(head: Head, name: string, value: string | undefined): void {
  head.headers = head.headers.filter(([k]) => k.toLowerCase() !== name);
  if (value !== undefined) head.headers.push([name, value]);
}

function getHeader(head: Head, name: string): string | undefined {
  return head.headers.find(([k]) => k.toLowerCase() === name)?.[1];
}

/** Reads from a socket until CRLF CRLF; resolves with the head and whatever body bytes came with it. */
function readHead(socket: Socket): Promise<{ head: Head; rest: Buffer } | undefined> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf(HEAD_END);
      if (end < 0 && buf.length < MAX_HEAD) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      if (end < 0) resolve(undefined);
      else resolve({ head: parseHead(buf.subarray(0, end).toString('latin1')), rest: buf.subarray(end + 4) });
    };
    const onClose = () => resolve(undefined);
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

export class FaultyProxy {
  readonly requests: ProxiedRequest[] = [];
  private readonly faults: Fault[] = [];
  private policy: ((request: { method: string; path: string }) => Fault) | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  private constructor(private readonly upstreamPort: number) {
    this.server = createServer((client) => {
      this.track(client);
      client.on('error', () => undefined);
      void this.handle(client);
    });
  }

  static async start(upstreamPort: number): Promise<FaultyProxy> {
    const proxy = new FaultyProxy(upstreamPort);
    proxy.server.listen(0, '127.0.0.1');
    await once(proxy.server, 'listening');
    return proxy;
  }

  /** Queues faults for the next requests, one each. */
  inject(...faults: Fault[]): this {
    this.faults.push(...faults);
    return this;
  }

  /** Chooses the fault of each request the queue has none for (`undefined`: relay faithfully). */
  setPolicy(policy: ((request: { method: string; path: string }) => Fault) | undefined): this {
    this.policy = policy;
    return this;
  }

  url(path = '/file'): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy not listening');
    return `http://127.0.0.1:${address.port}${path}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private async handle(client: Socket): Promise<void> {
    const request = await readHead(client);
    if (!request) {
      client.destroy();
      return;
    }
    const [method = '', path = ''] = request.head.line.split(' ');
    const fault = this.faults.shift() ?? this.policy?.({ method, path }) ?? { kind: 'none' };
    const record: ProxiedRequest = {
      method,
      path,
      headers: Object.fromEntries(request.head.headers.map(([k, v]) => [k.toLowerCase(), v])),
      status: 0,
      bodyBytesSent: 0,
      fault: fault.kind,
    };
    this.requests.push(record);
    setHeader(request.head, 'connection', 'close');

    const upstream = connect(this.upstreamPort, '127.0.0.1');
    this.track(upstream);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.write(serializeHead(request.head));
    // the request body, if any: what came with the head, then the rest as it arrives
    if (request.rest.length > 0) upstream.write(request.rest);
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    client.resume();

    const response = await readHead(upstream);
    if (!response) {
      client.destroy();
      return;
    }
    record.status = Number(response.head.line.split(' ')[1] ?? 0);
    const head = response.head;
    setHeader(head, 'connection', 'close');
    const length = getHeader(head, 'content-length');
    if (fault.kind === 'length' && length !== undefined) {
      setHeader(head, 'content-length', String(Number(length) + fault.delta));
    }
    if (fault.kind === 'extend') {
      setHeader(
        head,
        'content-length',
        fault.announce && length !== undefined ? String(Number(length) + fault.extra) : undefined,
      );
    }
    client.write(serializeHead(head));

    let sent = 0;
    let stopped = false;
    // slow: each chunk waits its share of time, upstream paused meanwhile; the end waits for them
    let paced = Promise.resolve();
    const send = (chunk: Buffer): void => {
      if (stopped) return;
      if (fault.kind === 'slow') {
        upstream.pause();
        paced = paced
          .then(() => new Promise((r) => setTimeout(r, (chunk.length / fault.bytesPerSec) * 1000)))
          .then(() => {
            sent += chunk.length;
            record.bodyBytesSent = sent;
            if (!client.destroyed) client.write(chunk);
            upstream.resume();
          });
        return;
      }
      let out = chunk;
      const limit = 'after' in fault ? fault.after : Number.POSITIVE_INFINITY;
      if (sent + out.length > limit) out = out.subarray(0, Math.max(0, limit - sent));
      if (fault.kind === 'flip' && fault.at >= sent && fault.at < sent + out.length) {
        out = Buffer.from(out);
        out[fault.at - sent] = (out[fault.at - sent] ?? 0) ^ 1;
      }
      const reachesLimit = sent + out.length >= limit;
      if (reachesLimit) {
        stopped = true;
        upstream.destroy();
      }
      const afterWrite = () => {
        if (!reachesLimit) return;
        switch (fault.kind) {
          case 'reset':
            client.resetAndDestroy();
            break;
          case 'truncate':
            client.end();
            break;
          default:
            // stall: nothing more, the connection stays open until the client gives up
            break;
        }
      };
      if (out.length === 0) {
        afterWrite();
        return;
      }
      sent += out.length;
      record.bodyBytesSent = sent;
      // the reset waits until its last bytes are handed to the kernel
      if (!client.write(out, afterWrite)) {
        upstream.pause();
        client.once('drain', () => upstream.resume());
      }
    };
    if (response.rest.length > 0) send(response.rest);
    upstream.on('data', send);
    upstream.on('end', () => {
      if (stopped) return;
      if (fault.kind === 'extend') {
        const extra = Buffer.alloc(fault.extra, 0x5a);
        sent += extra.length;
        record.bodyBytesSent = sent;
        client.write(extra);
      }
      void paced.then(() => client.end());
    });
    upstream.resume();
  }
}
