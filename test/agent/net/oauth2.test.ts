import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuth } from '../../../src/agent/net/auth.js';
import { downloadArtifact } from '../../../src/agent/net/download.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { FileServer } from './file-server.js';
import { artifact, caught, tempDir } from './helpers.js';

interface TokenCall {
  headers: IncomingHttpHeaders;
  form: URLSearchParams;
}

/** An OAuth2 token endpoint on 127.0.0.1: hands out `tok-1`, `tok-2`, … with `expires_in`. */
async function tokenEndpoint(
  options: { expiresIn?: number; delayMs?: number; status?: number; padding?: number } = {},
) {
  const calls: TokenCall[] = [];
  let release: (() => void) | undefined;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      body += d;
    });
    req.on('end', () => {
      calls.push({ headers: req.headers, form: new URLSearchParams(body) });
      const n = calls.length;
      const answer = () => {
        if (options.status !== undefined) {
          res
            .writeHead(options.status, { 'content-type': 'application/json' })
            .end('{"error":"invalid_client"}');
          return;
        }
        const payload: Record<string, unknown> = { access_token: `tok-${n}`, token_type: 'bearer' };
        if (options.expiresIn !== undefined) payload.expires_in = options.expiresIn;
        if (options.padding !== undefined) payload.padding = 'x'.repeat(options.padding);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      };
      if (options.delayMs === undefined) answer();
      else release = answer;
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
  return {
    url,
    calls,
    release: () => release?.(),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers) await c();
  closers = [];
});

describe('createAuth: OAuth2 client credentials', () => {
  it('posts grant_type=client_credentials with Basic client auth and scope; caches the token', async () => {
    const ep = await tokenEndpoint({ expiresIn: 3600 });
    closers.push(ep.close);
    const clock = new ManualClock(1_000_000);
    const auth = createAuth(
      { oauth2: { tokenUrl: ep.url, clientId: 'gw client', clientSecret: 'p:w', scope: 'soup.install' } },
      { clock },
    );
    expect(await auth.headers()).toEqual({ authorization: 'Bearer tok-1' });
    expect(await auth.headers()).toEqual({ authorization: 'Bearer tok-1' });
    expect(ep.calls).toHaveLength(1);
    const call = ep.calls[0]!;
    expect(call.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(call.form.get('grant_type')).toBe('client_credentials');
    expect(call.form.get('scope')).toBe('soup.install');
    expect(call.form.get('client_secret')).toBeNull();
    const basic = Buffer.from(call.headers.authorization!.replace(/^Basic /, ''), 'base64').toString();
    expect(basic).toBe('gw%20client:p%3Aw');
  });

  it('form client auth puts id and secret in the body', async () => {
    const ep = await tokenEndpoint({ expiresIn: 60 });
    closers.push(ep.close);
    const auth = createAuth({
      oauth2: { tokenUrl: ep.url, clientId: 'id', clientSecret: 'sec', clientAuth: 'form' },
    });
    await auth.headers();
    const call = ep.calls[0]!;
    expect(call.headers.authorization).toBeUndefined();
    expect(call.form.get('client_id')).toBe('id');
    expect(call.form.get('client_secret')).toBe('sec');
    expect(call.form.get('scope')).toBeNull();
  });

  it('renews shortly before expires_in runs out (fake clock)', async () => {
    const ep = await tokenEndpoint({ expiresIn: 600 });
    closers.push(ep.close);
    const clock = new ManualClock(0);
    const auth = createAuth({ oauth2: { tokenUrl: ep.url, clientId: 'a', clientSecret: 'b' } }, { clock });
    expect((await auth.headers()).authorization).toBe('Bearer tok-1');
    clock.advance(569_000); // lifetime 600 s, renewed 30 s before
    expect((await auth.headers()).authorization).toBe('Bearer tok-1');
    clock.advance(1_000);
    expect((await auth.headers()).authorization).toBe('Bearer tok-2');
    expect(ep.calls).toHaveLength(2);
    clock.advance(100_000);
    expect((await auth.headers()).authorization).toBe('Bearer tok-2');
  });

  it('after a 401 the token is dropped and the next request fetches a new one', async () => {
    const ep = await tokenEndpoint();
    closers.push(ep.close);
    const auth = createAuth({ oauth2: { tokenUrl: ep.url, clientId: 'a', clientSecret: 'b' } });
    expect((await auth.headers()).authorization).toBe('Bearer tok-1');
    expect((await auth.headers()).authorization).toBe('Bearer tok-1'); // no expires_in: kept
    expect(await auth.unauthorized()).toBe(true);
    expect((await auth.headers()).authorization).toBe('Bearer tok-2');
    expect(ep.calls).toHaveLength(2);
  });

  it('concurrent callers share one token request', async () => {
    const ep = await tokenEndpoint({ expiresIn: 3600, delayMs: 1 });
    closers.push(ep.close);
    const auth = createAuth({ oauth2: { tokenUrl: ep.url, clientId: 'a', clientSecret: 'b' } });
    const pending = Array.from({ length: 8 }, () => auth.headers());
    while (ep.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    ep.release();
    const all = await Promise.all(pending);
    expect(new Set(all.map((h) => h.authorization))).toEqual(new Set(['Bearer tok-1']));
    expect(ep.calls).toHaveLength(1);
  });

  it('a refusing token endpoint fails in one line, and the next call tries again', async () => {
    const ep = await tokenEndpoint({ status: 401 });
    closers.push(ep.close);
    const auth = createAuth({ oauth2: { tokenUrl: ep.url, clientId: 'a', clientSecret: 'wrong' } });
    const err = await caught(auth.headers());
    expect((err as { code?: string }).code).toBe('SOUP_E_AUTH');
    expect(err.message).toBe(`oauth2: token endpoint ${ep.url} answered 401`);
    await caught(auth.headers());
    expect(ep.calls).toHaveLength(2);
  });

  it('a token answer announced over 1 MiB is refused unread: one line, retryable', async () => {
    const ep = await tokenEndpoint({ padding: 2 * 1024 * 1024 });
    closers.push(ep.close);
    const auth = createAuth({ oauth2: { tokenUrl: ep.url, clientId: 'a', clientSecret: 'b' } });
    const err = await caught(auth.headers());
    expect((err as { code?: string }).code).toBe('SOUP_E_AUTH');
    expect((err as { retryable?: boolean }).retryable).toBe(true);
    expect(err.message).toBe(`oauth2: token endpoint ${ep.url} answered more than 1048576 bytes`);
  });

  it('a download answered 401 renews the token and succeeds with the new one', async () => {
    const ep = await tokenEndpoint({ expiresIn: 3600 });
    closers.push(ep.close);
    const a = artifact(5000);
    // the server has revoked tok-1 meanwhile
    const files = await FileServer.start({ content: a.bytes, authorization: (h) => h === 'Bearer tok-2' });
    closers.push(() => files.close());
    const { dir, cleanup } = await tempDir();
    closers.push(cleanup);
    const auth = createAuth({ oauth2: { tokenUrl: ep.url, clientId: 'a', clientSecret: 'b' } });
    await auth.headers();
    const dest = join(dir, 'a.bin');
    await downloadArtifact({ url: files.url(), dest, size: 5000, sha256: a.sha256, auth });
    expect(await readFile(dest)).toEqual(a.bytes);
    expect(files.requests.map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
    expect(ep.calls).toHaveLength(2);
  });
});
