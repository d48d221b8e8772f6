/**
 * The agent's undici client (`src/agent/net/undici.ts`): undici's public `request`, `Agent`, global
 * dispatcher and redirect interceptor, as the agent uses them.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, getGlobalDispatcher, redirectInterceptor, request } from '../../../src/agent/net/undici.js';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/moved') {
      res.writeHead(302, { location: '/echo?from=moved' }).end();
      return;
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ method: req.method, url: req.url, body, auth: req.headers.authorization ?? null }),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.close();
  await once(server, 'close');
});

describe('undici parts', () => {
  it('request() sends method, path with query, headers and body on the global dispatcher', async () => {
    const res = await request(`${base}/echo?x=1`, {
      method: 'POST',
      headers: { authorization: 'TargetToken t' },
      body: 'hello',
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({
      method: 'POST',
      url: '/echo?x=1',
      body: 'hello',
      auth: 'TargetToken t',
    });
  });

  it('request() uses the dispatcher it is given', async () => {
    const agent = new Agent({ connections: 1 });
    try {
      const res = await request(new URL(`${base}/a`), { method: 'GET', dispatcher: agent });
      expect(((await res.body.json()) as { url: string }).url).toBe('/a');
      expect(getGlobalDispatcher()).not.toBe(agent);
    } finally {
      await agent.close();
    }
  });

  it('the redirect interceptor follows a 302', async () => {
    const dispatcher = getGlobalDispatcher().compose(redirectInterceptor({ maxRedirections: 2 }));
    const res = await request(`${base}/moved`, { method: 'GET', dispatcher });
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as { url: string }).url).toBe('/echo?from=moved');
  });
});
