import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth } from '../../../src/agent/net/auth.js';
import { HttpClient } from '../../../src/agent/net/http.js';
import { caught, noAuth } from './helpers.js';

let server: Server;
let base: string;
const seen: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      body += d;
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const json = (status: number, value: unknown, extra: Record<string, string> = {}) =>
        res.writeHead(status, { 'content-type': 'application/json', ...extra }).end(JSON.stringify(value));
      switch (req.url?.split('?')[0]) {
        case '/root':
          return json(200, { config: { polling: { sleep: '00:05:00' } } });
        case '/echo':
          return json(200, { got: JSON.parse(body) as unknown, type: req.headers['content-type'] });
        case '/token':
          return req.headers.authorization === 'Bearer tok-2' ? json(200, { ok: true }) : json(401, {});
        case '/busy':
          return json(429, {}, { 'retry-after': '3' });
        case '/down':
          return json(503, {});
        case '/gone':
          return json(410, { message: 'closed' });
        case '/big':
          return res.writeHead(200).end(Buffer.alloc(2048));
        case '/notjson':
          return res.writeHead(200).end('<html>');
        case '/closing':
          // a server that closes after each answer (Connection: close) with a larger body
          return res
            .writeHead(200, { connection: 'close', 'content-type': 'application/json' })
            .end(JSON.stringify({ pad: 'x'.repeat(300_000) }));
        default:
          return json(404, {});
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('HttpClient', () => {
  it('GETs JSON with the auth header', async () => {
    const http = new HttpClient({ auth: createAuth({ targetToken: 'abc' }) });
    const { status, body } = await http.getJson<{ config: { polling: { sleep: string } } }>(`${base}/root`);
    expect(status).toBe(200);
    expect(body.config.polling.sleep).toBe('00:05:00');
    expect(seen.at(-1)?.headers.authorization).toBe('TargetToken abc');
  });

  it('POSTs and PUTs JSON', async () => {
    const http = new HttpClient({ auth: noAuth });
    const { body } = await http.sendJson<{ got: unknown; type: string }>('POST', `${base}/echo`, {
      a: [1, 'x'],
    });
    expect(body).toEqual({ got: { a: [1, 'x'] }, type: 'application/json' });
    await http.sendJson('PUT', `${base}/echo`, { mode: 'merge' });
    expect(seen.at(-1)?.method).toBe('PUT');
  });

  it('401: renews the credentials once and retries', async () => {
    let token = 'tok-1';
    const auth = {
      headers: async () => ({ authorization: `Bearer ${token}` }),
      unauthorized: async () => {
        token = 'tok-2';
        return true;
      },
      dispatcher: undefined,
    };
    const http = new HttpClient({ auth });
    expect((await http.getJson(`${base}/token`)).body).toEqual({ ok: true });
    const before = seen.length;
    const stuck = new HttpClient({
      auth: { ...auth, headers: async () => ({ authorization: 'Bearer nope' }) },
    });
    const err = await caught(stuck.getJson(`${base}/token`));
    expect(err.code).toBe('SOUP_E_HTTP');
    expect(err.detail?.status).toBe(401);
    expect(seen.length - before).toBe(2);
  });

  it('429 with Retry-After → retryable SOUP_E_HTTP with detail.retryAfterMs', async () => {
    const http = new HttpClient({ auth: noAuth });
    const err = await caught(http.getJson(`${base}/busy?token=secret`));
    expect(err).toMatchObject({
      code: 'SOUP_E_HTTP',
      retryable: true,
      detail: { status: 429, retryAfterMs: 3000 },
    });
    expect(err.message).toBe(`GET ${base}/busy: the server answered 429 (retry after 3000 ms)`);
    const down = await caught(http.getJson(`${base}/down`));
    expect(down).toMatchObject({ retryable: true, detail: { status: 503 } });
  });

  it('other statuses: not retryable, or returned when accepted', async () => {
    const http = new HttpClient({ auth: noAuth });
    const gone = await caught(http.sendJson('POST', `${base}/gone`, {}));
    expect(gone).toMatchObject({ code: 'SOUP_E_HTTP', retryable: false, detail: { status: 410 } });
    const accepted = await http.sendJson('POST', `${base}/gone`, {}, { accept: [200, 410] });
    expect(accepted).toEqual({ status: 410, body: { message: 'closed' } });
  });

  it('bodies beyond maxBytes and bodies that are not JSON fail in one line', async () => {
    const http = new HttpClient({ auth: noAuth });
    const big = await caught(http.getBytes(`${base}/big`, { maxBytes: 1024 }));
    expect(big.message).toBe(`GET ${base}/big: the answer is larger than 1024 bytes`);
    expect((await http.getBytes(`${base}/big`)).length).toBe(2048);
    const bad = await caught(http.getJson(`${base}/notjson`));
    expect(bad.message).toBe(`GET ${base}/notjson: the answer (200) is not JSON`);
  });

  it('answers from a server that closes the connection are read whole, repeatedly', async () => {
    const http = new HttpClient({ auth: noAuth });
    for (let i = 0; i < 5; i++) {
      const { body } = await http.getJson<{ pad: string }>(`${base}/closing`);
      expect(body.pad.length).toBe(300_000);
    }
  });

  it('network faults are retryable with status 0', async () => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const err = await caught(new HttpClient({ auth: noAuth }).getJson(`http://127.0.0.1:${port}/x`));
    expect(err).toMatchObject({ code: 'SOUP_E_HTTP', retryable: true, detail: { status: 0 } });
    expect(err.message).toContain('ECONNREFUSED');
  });
});
