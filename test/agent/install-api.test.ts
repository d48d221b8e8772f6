/**
 * The Install API client against a real HTTP server on loopback: every answer capped (documents at
 * 1 MiB, the recipe file at 4 MiB), every document validated into a coded error naming the key path,
 * every URL in a message redacted. A body over the cap is cut off: the server sees the connection
 * close long before it could write the whole body.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstallApi, MAX_DOCUMENT_BYTES, MAX_RECIPE_FILE_BYTES } from '../../src/agent/install-api.js';
import { createAuth } from '../../src/agent/net/auth.js';
import { caught, noAuth } from './net/helpers.js';

type Route = (req: IncomingMessage, res: ServerResponse) => void;
const routes = new Map<string, Route>();
let server: Server;
let origin: string;

/** Streams `total` bytes of `fill` (no Content-Length); resolves with what the socket took before it closed. */
function flood(
  res: ServerResponse,
  total: number,
  status = 200,
  prefix = '',
): Promise<{ written: number; closed: boolean }> {
  return new Promise((resolve) => {
    if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let written = 0;
    let closed = false;
    res.on('close', () => {
      closed = true;
      resolve({ written, closed: !res.writableFinished });
    });
    if (prefix !== '') {
      res.write(prefix);
      written += prefix.length;
    }
    const pump = () => {
      while (!closed && written < total) {
        written += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!closed) res.end();
    };
    pump();
  });
}

const floods: Promise<{ written: number; closed: boolean }>[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    const route = routes.get(req.url?.split('?')[0] ?? '');
    if (route === undefined) res.writeHead(404).end();
    else route(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

function api(auth = noAuth): InstallApi {
  return new InstallApi({
    url: origin,
    tenant: 'T',
    controllerId: 'gw',
    auth,
    timeoutMs: 10_000,
    now: () => 0,
  });
}

const ROOT = '/T/controller/v1/gw';
const json = (status: number, value: unknown) => (_req: IncomingMessage, res: ServerResponse) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));

describe('Install API client: caps', () => {
  it('refuses a root poll whose Content-Length is over the cap without reading it', async () => {
    routes.set(ROOT, (_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': String(MAX_DOCUMENT_BYTES + 1),
      });
      floods.push(flood(res, MAX_DOCUMENT_BYTES + 1));
    });
    const err = await caught(api().rootPoll());
    expect(err.code).toBe('SOUP_E_HTTP_TOO_LARGE');
    expect(err.message).toBe(`GET ${origin}${ROOT}: the answer is larger than ${MAX_DOCUMENT_BYTES} bytes`);
  });

  it('cuts off an endless root poll at the cap and drops the connection', async () => {
    let seen: Promise<{ written: number; closed: boolean }> | undefined;
    routes.set(ROOT, (_req, res) => {
      seen = flood(res, 512 * 1024 * 1024, 200, '{"pad":"');
    });
    const err = await caught(api().rootPoll());
    expect(err.code).toBe('SOUP_E_HTTP_TOO_LARGE');
    const { written, closed } = await (seen as Promise<{ written: number; closed: boolean }>);
    expect(closed).toBe(true);
    // the client stopped at 1 MiB: what the server got rid of is that plus the sockets' buffers
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it('cuts off an oversized action document', async () => {
    let seen: Promise<{ written: number; closed: boolean }> | undefined;
    routes.set(`${ROOT}/systemUpdate/5`, (_req, res) => {
      seen = flood(
        res,
        512 * 1024 * 1024,
        200,
        '{"id":"5","recipe":{"id":"1","name":"n","version":"1"},"pad":"',
      );
    });
    const err = await caught(api().systemUpdate(`${origin}${ROOT}/systemUpdate/5?c=secret-q`));
    expect(err.code).toBe('SOUP_E_HTTP_TOO_LARGE');
    expect(err.message).not.toContain('secret-q');
    expect((await (seen as Promise<{ closed: boolean }>)).closed).toBe(true);
  });

  it('an oversized error body: the status is reported, the body not read', async () => {
    let seen: Promise<{ written: number; closed: boolean }> | undefined;
    routes.set(`${ROOT}/systemUpdate/6`, (_req, res) => {
      seen = flood(res, 512 * 1024 * 1024, 500, '{"message":"');
    });
    const err = await caught(api().systemUpdate(`${origin}${ROOT}/systemUpdate/6`));
    expect(err.code).toBe('SOUP_E_HTTP');
    expect(err.detail?.status).toBe(500);
    expect(err.message).toContain(`error body larger than ${MAX_DOCUMENT_BYTES} bytes, not read`);
    const { written, closed } = await (seen as Promise<{ written: number; closed: boolean }>);
    expect(closed).toBe(true);
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it('caps the recipe file at 4 MiB and reads one at the cap', async () => {
    routes.set('/file-ok', (_req, res) => res.writeHead(200).end(Buffer.alloc(MAX_RECIPE_FILE_BYTES, 0x61)));
    routes.set('/file-big', (_req, res) =>
      res.writeHead(200).end(Buffer.alloc(MAX_RECIPE_FILE_BYTES + 1, 0x61)),
    );
    expect((await api().recipeFile(`${origin}/file-ok`)).length).toBe(MAX_RECIPE_FILE_BYTES);
    expect((await caught(api().recipeFile(`${origin}/file-big`))).code).toBe('SOUP_E_HTTP_TOO_LARGE');
  });
});

describe('Install API client: documents are validated', () => {
  const cases: [string, unknown, (a: InstallApi, href: string) => Promise<unknown>, string][] = [
    [
      'root poll link',
      { _links: { systemUpdate: { href: 42 } } },
      (a) => a.rootPoll(),
      'root poll: _links.systemUpdate.href must be string',
    ],
    [
      'root poll relative link',
      { _links: { deploymentBase: { href: '/x/1' } } },
      (a) => a.rootPoll(),
      'root poll: _links.deploymentBase.href must match pattern',
    ],
    ['root poll not an object', [1, 2], (a) => a.rootPoll(), 'root poll: (root) must be object'],
    [
      'action without version',
      { id: '5', recipe: { id: '1', name: 'n' } },
      (a, h) => a.systemUpdate(h),
      'system update action: recipe.version is missing',
    ],
    [
      'action handling',
      { id: '5', recipe: { id: '1', name: 'n', version: '1' }, handling: { update: 'now' } },
      (a, h) => a.systemUpdate(h),
      'system update action: handling.update must be one of skip, attempt, forced',
    ],
    [
      'DDI artifact size',
      {
        id: '8',
        deployment: {
          chunks: [
            { part: 'os', version: '1', name: 'x', artifacts: [{ filename: 'a', hashes: {}, size: '9' }] },
          ],
        },
      },
      (a, h) => a.ddiAction(h),
      'DDI action: deployment.chunks[0].artifacts[0].size must be integer',
    ],
    [
      'DDI without deployment',
      { id: '8' },
      (a, h) => a.ddiAction(h),
      'DDI action: deployment (or confirmation) is missing',
    ],
    [
      'signatures',
      { signatures: [{ format: 'jws' }] },
      (a, h) => a.signatures(h),
      'signature list: signatures[0].value is missing',
    ],
    [
      'cancel',
      { cancelAction: { stopId: '1' } },
      (a, h) => a.cancelAction(h),
      'cancel action: id is missing',
    ],
  ];
  for (const [name, doc, call, line] of cases) {
    it(`${name} → SOUP_E_HTTP_DOCUMENT naming the key path`, async () => {
      routes.set(ROOT, json(200, doc));
      routes.set('/doc', json(200, doc));
      const err = await caught(call(api(), `${origin}/doc?token=abc`));
      expect(err.code).toBe('SOUP_E_HTTP_DOCUMENT');
      expect(err.message).toContain(line);
      expect(err.message).not.toContain('token=abc');
      expect(err.message.split('\n')).toHaveLength(1);
    });
  }

  it('an answer that is not JSON', async () => {
    routes.set(ROOT, (_req, res) => res.writeHead(200).end('<html>'));
    const err = await caught(api().rootPoll());
    expect(err.code).toBe('SOUP_E_HTTP_DOCUMENT');
    expect(err.message).toBe(`GET ${origin}${ROOT}: the root poll is not JSON`);
  });

  it('accepts a valid document and ignores unknown fields', async () => {
    const doc = {
      config: { polling: { sleep: '00:01:00' } },
      extra: [1],
      _links: { other: 'x', systemUpdate: { href: `${origin}/s/1` } },
    };
    routes.set(ROOT, json(200, doc));
    expect(await api().rootPoll()).toEqual(doc);
  });
});

describe('Install API client: redaction and errors', () => {
  it('never puts a query or user info in a message; a server message is redacted and one line', async () => {
    routes.set(
      '/fail',
      json(403, { errorCode: 'x', message: 'see http://u:pw@h.example/p?key=k1\nTargetToken tt-1' }),
    );
    const href = `http://user:pass@127.0.0.1:${new URL(origin).port}/fail?c=q-secret`;
    const err = await caught(api().systemUpdate(href));
    expect(err.code).toBe('SOUP_E_HTTP');
    expect(err.message).toBe(`GET ${origin}/fail: HTTP 403 (see http://h.example/p TargetToken [redacted])`);
    for (const secret of ['pass', 'q-secret', 'pw', 'k1', 'tt-1']) expect(err.message).not.toContain(secret);
  });

  it('a network fault is retryable and redacted', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const err = await caught(api().systemUpdate(`http://127.0.0.1:${port}/x?token=t-9`));
    expect(err.code).toBe('SOUP_E_HTTP');
    expect(err.detail?.status).toBe(0);
    expect((err as { retryable?: boolean }).retryable).toBe(true);
    expect(err.message).not.toContain('t-9');
  });

  it('401: a static token is not retried; 429 carries Retry-After', async () => {
    let calls = 0;
    routes.set('/auth', (req, res) => {
      calls += 1;
      json(401, { message: `no ${req.headers.authorization}` })(req, res);
    });
    const err = await caught(api(createAuth({ targetToken: 'tok-secret' })).systemUpdate(`${origin}/auth`));
    expect(calls).toBe(1);
    expect(err.detail?.status).toBe(401);
    expect(err.message).not.toContain('tok-secret');
    routes.set('/busy', (_req, res) => res.writeHead(429, { 'retry-after': '3' }).end('{}'));
    const busy = await caught(api().systemUpdate(`${origin}/busy`));
    expect(busy.detail).toEqual({ status: 429, retryAfterMs: 3000 });
  });

  it('POST answers 410 as a status, other errors as SOUP_E_HTTP', async () => {
    routes.set('/gone', json(410, { message: 'closed' }));
    expect(await api().postJson(`${origin}/gone`, { a: 1 })).toBe(410);
    routes.set('/down', json(503, {}));
    const err = await caught(api().postJson(`${origin}/down`, {}));
    expect(err.detail?.status).toBe(503);
  });
});
