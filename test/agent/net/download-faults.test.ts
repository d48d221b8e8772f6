/**
 * Downloads through a faulty proxy (real TCP on 127.0.0.1) and resumes after restarts: never a file at
 * dest with bad bytes; resumed with Range + If-Range where possible; else a clean one-line failure.
 */
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DownloadRequest, downloadArtifact } from '../../../src/agent/net/download.js';
import { type Fault, FaultyProxy } from './faulty-proxy.js';
import { FileServer } from './file-server.js';
import { artifact, caught, noAuth, quickBackoff, sha256, tempDir } from './helpers.js';

const SIZE = 3 * 1024 * 1024 + 123;
const a = artifact(SIZE);
const FAULT_AT = 1_300_000;
/** Idle timeout for the tests that stall on purpose. */
const STALL_MS = 500;

let dir: string;
let cleanup: () => Promise<void>;
let server: FileServer;
let proxy: FaultyProxy;
let dest: string;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  server = await FileServer.start({ content: a.bytes, etag: '"sha1-v1"' });
  proxy = await FaultyProxy.start(server.port);
  dest = join(dir, 'artifact.bin');
});
afterEach(async () => {
  await proxy.close();
  await server.close();
  await cleanup();
});

function download(extra: Partial<DownloadRequest> = {}) {
  return downloadArtifact({
    url: proxy.url(),
    dest,
    size: SIZE,
    sha256: a.sha256,
    auth: noAuth,
    backoff: quickBackoff,
    // generous: a loaded machine must not see stalls that are not there; stall tests pass STALL_MS
    idleTimeoutMs: 15_000,
    ...extra,
  });
}

function rangeStart(i: number): number | undefined {
  const range = proxy.requests[i]?.headers.range;
  if (range === undefined) return undefined;
  const m = /^bytes=(\d+)-$/.exec(range);
  if (!m) throw new Error(`unexpected Range ${range}`);
  return Number(m[1]);
}

async function expectGoodDest(): Promise<void> {
  expect(sha256(await readFile(dest))).toBe(a.sha256);
  expect(existsSync(`${dest}.part`)).toBe(false);
  expect(existsSync(`${dest}.part.json`)).toBe(false);
}

function expectNothingAtDest(): void {
  expect(existsSync(dest)).toBe(false);
}

describe('network faults mid-body are resumed with Range + If-Range', () => {
  it.each<[string, Fault]>([
    ['connection reset', { kind: 'reset', after: FAULT_AT }],
    ['truncation (early close)', { kind: 'truncate', after: FAULT_AT }],
    ['stall beyond the idle timeout', { kind: 'stall', after: FAULT_AT }],
  ])('%s', async (_name, fault) => {
    proxy.inject(fault);
    const result = await download(fault.kind === 'stall' ? { idleTimeoutMs: STALL_MS } : {});
    await expectGoodDest();
    expect(result.resumedFrom).toBe(0);
    expect(proxy.requests).toHaveLength(2);
    expect(rangeStart(0)).toBeUndefined();
    const resumedAt = rangeStart(1);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(FAULT_AT);
    expect(proxy.requests[1]?.headers['if-range']).toBe('"sha1-v1"');
    expect(proxy.requests[1]?.status).toBe(206);
    expect(proxy.requests[1]?.bodyBytesSent).toBe(SIZE - (resumedAt ?? 0));
  });

  it('a fault on every attempt ends in one line naming the URL and the offset; the part stays for later', async () => {
    proxy.inject(...Array.from({ length: 3 }, () => ({ kind: 'stall', after: 0 }) as Fault));
    const err = await caught(download({ maxAttempts: 3, idleTimeoutMs: STALL_MS }));
    expect(err.code).toBe('SOUP_E_DOWNLOAD');
    expect(err.message).toMatch(
      /^download http:\/\/127\.0\.0\.1:\d+\/file: connection lost: .+; gave up after 3 attempts \(at byte 0 of 3145851\)$/,
    );
    expectNothingAtDest();
  });

  it('an abort mid-body (here: during a stall) cancels at once and keeps the part file for a later resume', async () => {
    proxy.inject({ kind: 'stall', after: FAULT_AT });
    const ac = new AbortController();
    const err = await caught(
      download({
        signal: ac.signal,
        onProgress: (bytes) => {
          if (bytes >= 1024 * 1024) ac.abort(new Error('operator cancelled'));
        },
      }),
    );
    expect(err.code).toBe('SOUP_E_CANCELLED');
    expect(err.message).toMatch(
      /^download http:\/\/127\.0\.0\.1:\d+\/file: cancelled \(at byte \d+ of 3145851\)$/,
    );
    expectNothingAtDest();
    expect((await stat(`${dest}.part`)).size).toBeGreaterThanOrEqual(1024 * 1024);
    proxy.requests.length = 0;
    const result = await download();
    expect(result.resumedFrom).toBeGreaterThanOrEqual(1024 * 1024);
    await expectGoodDest();
  });

  it('attempts that make progress do not use up maxAttempts', async () => {
    const step = 400_000;
    proxy.inject(...Array.from({ length: 6 }, () => ({ kind: 'truncate', after: step }) as Fault));
    await download({ maxAttempts: 2 });
    await expectGoodDest();
    expect(proxy.requests.length).toBeGreaterThanOrEqual(7);
    const starts = proxy.requests.map((_, i) => rangeStart(i) ?? 0);
    expect(starts).toEqual([...starts].sort((x, y) => x - y));
  });
});

describe('bad bytes never reach dest', () => {
  it('a flipped bit: hash mismatch, part discarded, downloaded again from 0', async () => {
    proxy.inject({ kind: 'flip', at: 2_000_000 });
    const result = await download();
    await expectGoodDest();
    expect(result.resumedFrom).toBe(0);
    expect(proxy.requests.map((r) => r.headers.range)).toEqual([undefined, undefined]);
  });

  it('a flipped bit every time: SOUP_E_HASH, nothing at dest, no part file', async () => {
    proxy.inject({ kind: 'flip', at: 10 }, { kind: 'flip', at: SIZE - 1 });
    const err = await caught(download());
    expect(err.code).toBe('SOUP_E_HASH');
    expect(err.message).toMatch(
      /sha256 [0-9a-f]{64} differs from the declared [0-9a-f]{64}; discarded \(at byte 3145851 of 3145851\)$/,
    );
    expectNothingAtDest();
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(proxy.requests).toHaveLength(2);
  });

  it('a Content-Length that disagrees with the declared size: refused unread, fetched again from 0', async () => {
    proxy.inject({ kind: 'length', delta: 5000 });
    const result = await download();
    await expectGoodDest();
    expect(result.resumedFrom).toBe(0);
    expect(proxy.requests.map((r) => r.headers.range)).toEqual([undefined, undefined]);
    expect(proxy.requests[0]?.headers['content-length']).toBeUndefined();
  });

  it('a longer body announced in Content-Length is refused before it is read', async () => {
    proxy.inject(
      { kind: 'extend', extra: 10, announce: true },
      { kind: 'extend', extra: 10, announce: true },
    );
    const err = await caught(download());
    expect(err.code).toBe('SOUP_E_DOWNLOAD');
    expect(err.message).toContain(`announces ${SIZE + 10} bytes, declared size is ${SIZE}`);
    expectNothingAtDest();
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('a longer body without Content-Length is cut off at the declared size', async () => {
    proxy.inject({ kind: 'extend', extra: 4096, announce: false });
    const first = await caught(download({ integrityRetries: 0 }));
    expect(first.code).toBe('SOUP_E_DOWNLOAD');
    expect(first.message).toContain(`more bytes than the declared ${SIZE}`);
    expectNothingAtDest();
    expect(existsSync(`${dest}.part`)).toBe(false);
    // and with the default one fresh retry, the next faithful response completes it
    proxy.inject({ kind: 'extend', extra: 4096, announce: false });
    await download();
    await expectGoodDest();
  });

  it('a shorter body that ends cleanly (close-delimited) is discarded, not renamed', async () => {
    server.content = a.bytes.subarray(0, SIZE - 100);
    proxy.inject(
      { kind: 'extend', extra: 0, announce: false },
      { kind: 'extend', extra: 0, announce: false },
    );
    const err = await caught(download());
    expect(err.code).toBe('SOUP_E_DOWNLOAD');
    expect(err.message).toContain(`fewer than declared`);
    expectNothingAtDest();
    expect(existsSync(`${dest}.part`)).toBe(false);
  });
});

describe('resume after a restart', () => {
  async function leavePartFile(): Promise<number> {
    proxy.inject({ kind: 'stall', after: FAULT_AT });
    const err = await caught(download({ maxAttempts: 1, idleTimeoutMs: STALL_MS }));
    expect(err.code).toBe('SOUP_E_DOWNLOAD');
    const partSize = (await stat(`${dest}.part`)).size;
    expect(partSize).toBeGreaterThan(0);
    expect(partSize).toBeLessThanOrEqual(FAULT_AT);
    expectNothingAtDest();
    proxy.requests.length = 0;
    return partSize;
  }

  it('a part file left by an aborted download is rebuilt and resumed', async () => {
    const partSize = await leavePartFile();
    const result = await download();
    expect(result.resumedFrom).toBe(partSize);
    expect(proxy.requests).toHaveLength(1);
    expect(rangeStart(0)).toBe(partSize);
    expect(proxy.requests[0]?.headers['if-range']).toBe('"sha1-v1"');
    await expectGoodDest();
  });

  it('a part file with corrupted bytes: the rebuilt hash catches it, discarded and downloaded again', async () => {
    const partSize = await leavePartFile();
    const part = await readFile(`${dest}.part`);
    part[Math.floor(partSize / 2)] = (part[Math.floor(partSize / 2)] ?? 0) ^ 0x80;
    await writeFile(`${dest}.part`, part);
    const result = await download();
    await expectGoodDest();
    expect(result.resumedFrom).toBe(0);
    expect(rangeStart(0)).toBe(partSize);
    expect(rangeStart(1)).toBeUndefined();
    expect(proxy.requests).toHaveLength(2);
  });

  it('a part file whose metadata is missing or for another artifact is not trusted', async () => {
    await leavePartFile();
    await writeFile(
      `${dest}.part.json`,
      JSON.stringify({ size: SIZE, sha256: 'b'.repeat(64), validator: '"sha1-v1"' }),
    );
    const result = await download();
    expect(result.resumedFrom).toBe(0);
    expect(proxy.requests.map((r) => r.headers.range)).toEqual([undefined]);
    await expectGoodDest();
  });

  it('the ETag changed on the server: If-Range fails, the download restarts from 0', async () => {
    const partSize = await leavePartFile();
    server.etag = '"sha1-v2"';
    const result = await download();
    await expectGoodDest();
    expect(result.resumedFrom).toBe(0);
    expect(rangeStart(0)).toBe(partSize);
    expect(proxy.requests[0]?.headers['if-range']).toBe('"sha1-v1"');
    expect(proxy.requests[0]?.status).toBe(200);
    expect(proxy.requests).toHaveLength(1);
  });

  it('a fault during the restart from 0 resumes from the new bytes with the new ETag', async () => {
    const partSize = await leavePartFile();
    server.etag = '"sha1-v2"';
    proxy.inject({ kind: 'reset', after: 600_000 });
    const result = await download();
    await expectGoodDest();
    expect(result.resumedFrom).toBe(0);
    expect(rangeStart(0)).toBe(partSize);
    expect(proxy.requests[0]?.status).toBe(200);
    const resumedAt = rangeStart(1);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(600_000);
    expect(proxy.requests[1]?.headers['if-range']).toBe('"sha1-v2"');
    expect(proxy.requests[1]?.status).toBe(206);
  });

  it('416 on the resume: the part is discarded; a server file of the wrong length then fails cleanly', async () => {
    const partSize = await leavePartFile();
    server.content = a.bytes.subarray(0, partSize - 1);
    const err = await caught(download());
    expect(proxy.requests.map((r) => r.status)).toEqual([416, 200]);
    expect(err.code).toBe('SOUP_E_DOWNLOAD');
    expect(err.message).toContain(`announces ${partSize - 1} bytes`);
    expectNothingAtDest();
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('a complete part file is verified and renamed without any request', async () => {
    await writeFile(`${dest}.part`, a.bytes);
    await writeFile(
      `${dest}.part.json`,
      JSON.stringify({ size: SIZE, sha256: a.sha256, validator: '"sha1-v1"' }),
    );
    const result = await download();
    expect(result.resumedFrom).toBe(SIZE);
    expect(proxy.requests).toHaveLength(0);
    await expectGoodDest();
  });
});

describe('server pressure', () => {
  it('503 with Retry-After waits at least that long, then succeeds', async () => {
    const sleeps: number[] = [];
    const clock = { now: () => Date.now(), sleep: async (ms: number) => void sleeps.push(ms) };
    const busy = await FileServer.start({ content: a.bytes });
    let refusals = 1;
    const original = busy.url();
    const gate = await import('node:http').then(({ createServer }) =>
      createServer((req, res) => {
        if (refusals-- > 0) {
          res.writeHead(503, { 'retry-after': '7' }).end();
          return;
        }
        res.writeHead(302, { location: original }).end();
        void req;
      }),
    );
    gate.listen(0, '127.0.0.1');
    await new Promise((r) => gate.once('listening', r));
    const port = (gate.address() as { port: number }).port;
    try {
      await download({ url: `http://127.0.0.1:${port}/file`, clock });
      await expectGoodDest();
      expect(sleeps).toEqual([7000]);
    } finally {
      gate.closeAllConnections();
      await new Promise((r) => gate.close(r));
      await busy.close();
    }
  });
});

describe('a large artifact (hashed in a worker thread)', () => {
  const big = artifact(20 * 1024 * 1024 + 7);

  beforeEach(() => {
    server.content = big.bytes;
  });

  function downloadBig(extra: Partial<DownloadRequest> = {}) {
    return download({ size: big.bytes.length, sha256: big.sha256, ...extra });
  }

  it('a reset mid-body resumes; the result is exact', async () => {
    proxy.inject({ kind: 'reset', after: 9_000_000 });
    await downloadBig();
    expect(sha256(await readFile(dest))).toBe(big.sha256);
    expect(rangeStart(1)).toBeGreaterThan(0);
  });

  it('a part file from an earlier run is rebuilt through the worker and resumed', async () => {
    proxy.inject({ kind: 'stall', after: 11_000_000 });
    await caught(downloadBig({ maxAttempts: 1, idleTimeoutMs: STALL_MS }));
    const partSize = (await stat(`${dest}.part`)).size;
    expect(partSize).toBeGreaterThan(0);
    const result = await downloadBig();
    expect(result.resumedFrom).toBe(partSize);
    expect(sha256(await readFile(dest))).toBe(big.sha256);
  });

  it('a flipped bit is caught: SOUP_E_HASH, nothing at dest', async () => {
    // every response corrupted: also a resume (the proxy's Connection: close responses are aborted and
    // resumed when more than 16 MiB wait unread) brings a flipped bit
    proxy.inject(
      { kind: 'flip', at: 15_000_000 },
      ...Array.from({ length: 6 }, () => ({ kind: 'flip', at: 1 }) as Fault),
    );
    const err = await caught(downloadBig());
    expect(err.code).toBe('SOUP_E_HASH');
    expectNothingAtDest();
    expect(existsSync(`${dest}.part`)).toBe(false);
  });
});
