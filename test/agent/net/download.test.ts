import { existsSync } from 'node:fs';
import { readFile, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuth } from '../../../src/agent/net/auth.js';
import { downloadArtifact } from '../../../src/agent/net/download.js';
import { FileServer } from './file-server.js';
import { artifact, caught, noAuth, quickBackoff, sha256, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let server: FileServer | undefined;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await cleanup();
});

describe('downloadArtifact', () => {
  it('streams the artifact to dest, reports progress, leaves no part files', async () => {
    const a = artifact(3 * 1024 * 1024 + 17);
    server = await FileServer.start({ content: a.bytes });
    const dest = join(dir, 'sub', 'a.bin');
    const progress: number[] = [];
    const result = await downloadArtifact({
      url: server.url(),
      dest,
      size: a.bytes.length,
      sha256: a.sha256,
      auth: noAuth,
      onProgress: (bytes, of) => {
        expect(of).toBe(a.bytes.length);
        progress.push(bytes);
      },
    });
    expect(result).toEqual({ path: dest, resumedFrom: 0 });
    expect(sha256(await readFile(dest))).toBe(a.sha256);
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(existsSync(`${dest}.part.json`)).toBe(false);
    expect(progress.at(-1)).toBe(a.bytes.length);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.headers.range).toBeUndefined();
  });

  it('sends the TargetToken header', async () => {
    const a = artifact(1000);
    server = await FileServer.start({ content: a.bytes, authorization: 'TargetToken s3cret' });
    const dest = join(dir, 'a.bin');
    await downloadArtifact({
      url: server.url(),
      dest,
      size: 1000,
      sha256: a.sha256,
      auth: createAuth({ targetToken: 's3cret' }),
    });
    expect(await readFile(dest)).toEqual(a.bytes);
  });

  it('a wrong hash: SOUP_E_HASH after one fresh retry, nothing at dest, part discarded', async () => {
    const a = artifact(200_000);
    server = await FileServer.start({ content: a.bytes });
    const dest = join(dir, 'a.bin');
    const err = await caught(
      downloadArtifact({
        url: `${server.url()}?token=abc`,
        dest,
        size: 200_000,
        sha256: '0'.repeat(64),
        auth: noAuth,
      }),
    );
    expect(err.code).toBe('SOUP_E_HASH');
    expect(err.message).toMatch(/^download http:\/\/127\.0\.0\.1:\d+\/file: sha256 [0-9a-f]{64} differs/);
    expect(err.message).not.toContain('token=abc');
    expect(err.message).not.toContain('\n');
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(server.requests).toHaveLength(2);
  });

  it('a server file longer or shorter than declared is refused and never renamed to dest', async () => {
    const a = artifact(50_000);
    server = await FileServer.start({ content: a.bytes });
    for (const size of [49_999, 50_001]) {
      const dest = join(dir, `a-${size}.bin`);
      const err = await caught(
        downloadArtifact({
          url: server.url(),
          dest,
          size,
          sha256: a.sha256,
          auth: noAuth,
          integrityRetries: 0,
        }),
      );
      expect(err.code).toBe('SOUP_E_DOWNLOAD');
      expect(err.message).toContain('announces 50000 bytes');
      expect(existsSync(dest)).toBe(false);
      expect(existsSync(`${dest}.part`)).toBe(false);
    }
  });

  it('404 fails at once with the status', async () => {
    server = await FileServer.start({ content: Buffer.alloc(1) });
    const err = await caught(
      downloadArtifact({
        url: server.url('/missing'),
        dest: join(dir, 'x'),
        size: 1,
        sha256: 'a'.repeat(64),
        auth: noAuth,
      }),
    );
    expect(err.code).toBe('SOUP_E_DOWNLOAD');
    expect(err.message).toContain('answered 404');
    expect(server.requests).toHaveLength(1);
  });

  it('401: asks the auth provider once, retries once with fresh credentials', async () => {
    const a = artifact(10_000);
    let token = 'old';
    server = await FileServer.start({ content: a.bytes, authorization: 'Bearer new' });
    let dropped = 0;
    const auth = {
      headers: async () => ({ authorization: `Bearer ${token}` }),
      unauthorized: async () => {
        dropped += 1;
        token = 'new';
        return true;
      },
      transport: undefined,
    };
    const dest = join(dir, 'a.bin');
    await downloadArtifact({ url: server.url(), dest, size: 10_000, sha256: a.sha256, auth });
    expect(dropped).toBe(1);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer old', 'Bearer new']);

    token = 'stale';
    let retries = 0;
    const err = await caught(
      downloadArtifact({
        url: server.url(),
        dest: join(dir, 'b.bin'),
        size: 10_000,
        sha256: a.sha256,
        auth: { ...auth, unauthorized: async () => ++retries > 0 },
      }),
    );
    expect(err.code).toBe('SOUP_E_DOWNLOAD');
    expect(err.message).toContain('401');
    expect(retries).toBe(1);
  });

  it('a static token is not retried on 401', async () => {
    server = await FileServer.start({ content: Buffer.alloc(10), authorization: 'TargetToken right' });
    const err = await caught(
      downloadArtifact({
        url: server.url(),
        dest: join(dir, 'a.bin'),
        size: 10,
        sha256: sha256(Buffer.alloc(10)),
        auth: createAuth({ targetToken: 'wrong' }),
      }),
    );
    expect(err.code).toBe('SOUP_E_DOWNLOAD');
    expect(server.requests).toHaveLength(1);
  });

  it('a size beyond the free space fails before any byte is fetched', async () => {
    server = await FileServer.start({ content: Buffer.alloc(10) });
    const fsInfo = await statfs(dir);
    const size = fsInfo.bavail * fsInfo.bsize + 1024 ** 3;
    const err = await caught(
      downloadArtifact({
        url: server.url(),
        dest: join(dir, 'big.bin'),
        size,
        sha256: 'a'.repeat(64),
        auth: noAuth,
      }),
    );
    expect(err.code).toBe('SOUP_E_DOWNLOAD');
    expect(err.message).toMatch(/needs \d+ more bytes on disk, only \d+ free/);
    expect(server.requests).toHaveLength(0);
  });

  it('a refused connection is retried with back-off, then fails in one line', async () => {
    const probe = await FileServer.start({ content: Buffer.alloc(1) });
    const url = probe.url();
    await probe.close();
    const err = await caught(
      downloadArtifact({
        url,
        dest: join(dir, 'a.bin'),
        size: 1,
        sha256: 'a'.repeat(64),
        auth: noAuth,
        maxAttempts: 3,
        backoff: quickBackoff,
      }),
    );
    expect(err.code).toBe('SOUP_E_DOWNLOAD');
    expect(err.message).toContain('gave up after 3 attempts');
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).not.toContain('\n');
  });

  it('cancels on abort and keeps nothing at dest', async () => {
    const a = artifact(1000);
    server = await FileServer.start({ content: a.bytes });
    const ac = new AbortController();
    ac.abort();
    const err = await caught(
      downloadArtifact({
        url: server.url(),
        dest: join(dir, 'a.bin'),
        size: 1000,
        sha256: a.sha256,
        auth: noAuth,
        signal: ac.signal,
      }),
    );
    expect(err.code).toBe('SOUP_E_CANCELLED');
    expect(existsSync(join(dir, 'a.bin'))).toBe(false);
  });

  it('an empty artifact needs no request beyond its hash', async () => {
    server = await FileServer.start({ content: Buffer.alloc(0) });
    const dest = join(dir, 'empty.bin');
    await downloadArtifact({
      url: server.url(),
      dest,
      size: 0,
      sha256: sha256(Buffer.alloc(0)),
      auth: noAuth,
    });
    expect((await readFile(dest)).length).toBe(0);
  });

  it('refuses a malformed declared hash in one line', async () => {
    const err = await caught(
      downloadArtifact({
        url: 'http://127.0.0.1:1/x',
        dest: join(dir, 'a'),
        size: 1,
        sha256: 'xyz',
        auth: noAuth,
      }),
    );
    expect(err.code).toBe('SOUP_E_DOWNLOAD');
    expect(err.message).toContain('not 64 hex digits');
  });

  it('resumes from a part file left by an earlier run with Range + If-Range', async () => {
    const a = artifact(600_000);
    server = await FileServer.start({ content: a.bytes, etag: '"abc"' });
    const dest = join(dir, 'a.bin');
    await writeFile(`${dest}.part`, a.bytes.subarray(0, 250_000));
    await writeFile(
      `${dest}.part.json`,
      JSON.stringify({ size: 600_000, sha256: a.sha256, validator: '"abc"' }),
    );
    const result = await downloadArtifact({
      url: server.url(),
      dest,
      size: 600_000,
      sha256: a.sha256,
      auth: noAuth,
    });
    expect(result.resumedFrom).toBe(250_000);
    expect(server.requests[0]?.headers.range).toBe('bytes=250000-');
    expect(server.requests[0]?.headers['if-range']).toBe('"abc"');
    expect(sha256(await readFile(dest))).toBe(a.sha256);
  });
});
