/**
 * The Install API client and an answer that breaks off mid-body (reset, or closed before its
 * Content-Length): a retryable SOUP_E_HTTP naming the request, like a refused connection — not an
 * undici error that fails the update step at once (the bad-networks campaign found that failure). Real sockets: a JSON server behind the faulty proxy.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstallApi } from '../../src/agent/install-api.js';
import { createAuth } from '../../src/agent/net/auth.js';
import { SoupError } from '../../src/lib/errors.js';
import { FaultyProxy } from './net/faulty-proxy.js';

const DOCUMENT = JSON.stringify({ config: { polling: { sleep: '00:00:01' } }, pad: 'x'.repeat(4000) });

describe('InstallApi: a body that breaks off', () => {
  let server: Server;
  let proxy: FaultyProxy;
  let api: InstallApi;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(DOCUMENT),
      });
      res.end(DOCUMENT);
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    proxy = await FaultyProxy.start((server.address() as { port: number }).port);
    api = new InstallApi({
      url: proxy.url(''),
      tenant: 'T',
      controllerId: 'gw',
      auth: createAuth({ targetToken: 'tok' }),
      timeoutMs: 5000,
      now: () => Date.now(),
    });
  });
  afterAll(async () => {
    await proxy.close();
    server.close();
  });

  it.each([
    ['truncated', { kind: 'truncate', after: 100 }],
    ['reset', { kind: 'reset', after: 100 }],
  ] as const)(
    '%s JSON document: a retryable SOUP_E_HTTP; the next request goes through',
    async (_name, fault) => {
      proxy.inject(fault);
      const err = await api.rootPoll().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SoupError);
      expect((err as SoupError).code).toBe('SOUP_E_HTTP');
      expect((err as SoupError).retryable).toBe(true);
      expect((err as SoupError).message).toMatch(/127\.0\.0\.1:\d+\/T\/controller\/v1\/gw/);
      expect((err as SoupError).message).not.toContain('\n');
      expect(await api.rootPoll()).toMatchObject({ config: { polling: { sleep: '00:00:01' } } });
    },
  );

  it('truncated recipe file: a retryable SOUP_E_HTTP', async () => {
    proxy.inject({ kind: 'truncate', after: 10 });
    const err = await api.recipeFile(proxy.url('/T/controller/v1/gw/x')).catch((e: unknown) => e);
    expect((err as SoupError).code).toBe('SOUP_E_HTTP');
    expect((err as SoupError).retryable).toBe(true);
  });
});
