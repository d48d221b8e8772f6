/**
 * TLS client certificates: a CA, a server certificate for 127.0.0.1 and a client certificate are made
 * with the `openssl` command line; a node:https server requires a client certificate signed by that CA.
 */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth } from '../../../src/agent/net/auth.js';
import { downloadArtifact } from '../../../src/agent/net/download.js';
import { requestStream } from '../../../src/lib/http/request.js';
import { makeTestPki } from '../../helpers/test-pki.js';
import { artifact, caught, sha256, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let server: Server;
let url: string;
const payload = artifact(100_000);

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  makeTestPki(dir, [
    { name: 'server', cn: '127.0.0.1', usage: 'server' },
    { name: 'client', cn: 'gw-0001', usage: 'client' },
  ]);
  server = createServer(
    {
      key: await readFile(join(dir, 'server.key')),
      cert: await readFile(join(dir, 'server.crt')),
      ca: await readFile(join(dir, 'ca.crt')),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      if (req.headers.authorization !== undefined && req.headers.authorization !== 'TargetToken t1') {
        res.writeHead(401).end();
        return;
      }
      res.setHeader('x-client-cn', String(peer.subject?.CN ?? ''));
      res.writeHead(200, { 'content-length': String(payload.bytes.length), etag: '"m"' }).end(payload.bytes);
    },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/file`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await cleanup?.();
});

describe('TLS client certificate', () => {
  it('a request with the client certificate succeeds and the server sees its CN', async () => {
    const auth = createAuth({
      cert: join(dir, 'client.crt'),
      key: join(dir, 'client.key'),
      ca: join(dir, 'ca.crt'),
    });
    expect(auth.transport).toBeDefined();
    expect(await auth.headers()).toEqual({});
    const res = await requestStream(auth.transport!, {
      url,
      headers: {},
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    await res.dump();
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-client-cn']).toBe('gw-0001');
  });

  it('combined with a TargetToken, a download goes through', async () => {
    const auth = createAuth({
      targetToken: 't1',
      cert: join(dir, 'client.crt'),
      key: join(dir, 'client.key'),
      ca: join(dir, 'ca.crt'),
    });
    const dest = join(dir, 'a.bin');
    await downloadArtifact({
      url,
      dest,
      size: payload.bytes.length,
      sha256: payload.sha256,
      auth,
      maxAttempts: 1,
    });
    expect(sha256(await readFile(dest))).toBe(payload.sha256);
  });

  it('without a client certificate the server refuses the handshake', async () => {
    const auth = createAuth({ targetToken: 't1', ca: join(dir, 'ca.crt') });
    const err = await caught(
      requestStream(auth.transport!, { url, headers: {}, headersTimeout: 10_000, bodyTimeout: 10_000 }).then(
        async (res) => {
          await res.dump();
          return res.statusCode;
        },
      ),
    );
    expect(err).toBeInstanceOf(Error);
    const dest = join(dir, 'b.bin');
    const failed = await caught(
      downloadArtifact({
        url,
        dest,
        size: payload.bytes.length,
        sha256: payload.sha256,
        auth,
        maxAttempts: 1,
      }),
    );
    expect(failed.code).toBe('SOUP_E_DOWNLOAD');
    expect(failed.message).toContain('request failed');
  });
});
