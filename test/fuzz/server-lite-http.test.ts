/**
 * Fuzzing server-lite's HTTP handlers over a real socket on 127.0.0.1: every route of `ALL_ROUTES`
 * with random path parameters (ids that exist, ids that do not, traversal, encodings), random query
 * strings (RSQL filters, paging, sorting), random headers and credentials (admin, a gateway's token,
 * garbage, none) and random bodies (JSON near the expected shapes, any JSON, raw bytes), plus fully
 * random paths and methods. Invariants per request: an answer within the time bound, never a 500
 * (an unhandled error in a handler), and every error answer is the coded JSON error body
 * (`errorCode: soup.*`, a one-line message). After the run the server still serves a normal request.
 */
import fc from 'fast-check';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_ROUTES } from '../../src/server-lite/routes.js';
import {
  basic,
  gatewayRecipe,
  gatewayReport,
  type Harness,
  makeSet,
  startHarness,
} from '../server-lite/harness.js';
import { boundedAsync, fuzz } from './invariants.js';

const CID = 'gw-fuzz-1';
const TOKEN = 'token-of-gw-fuzz-1';
const REQUEST_LIMIT_MS = 30_000;
const FIXTURE = /^\/rest\/v1\/(targets|systems|softwaremodules|distributionsets|recipes)\/(1|gw-fuzz-1)\/?$/;

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'expect',
  'host',
  'content-length',
  'te',
  'trailer',
  'proxy-connection',
]);

/** What exists: the first entity of each kind, the tenant, the gateway, its artifact's file name. */
const existing = fc.constantFrom('1', 'DEFAULT', CID, 'gw-fw-1.0.0.bin');
const segmentValue = fc.oneof(
  { weight: 6, arbitrary: existing },
  fc.constantFrom('2', '3', '0', '-1', '1.5', '99999999999999999999', 'gw-other'),
  fc.constantFrom(
    '..',
    '.',
    '%2e%2e',
    '%2F',
    '..%2F..%2Fetc%2Fpasswd',
    '%00',
    'a%00b',
    '%ZZ',
    '%C3%A9',
    '%FF',
  ),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', maxLength: 8 }).map(encodeURIComponent),
);

const routePath = fc
  .tuple(fc.constantFrom(...ALL_ROUTES), fc.array(segmentValue, { minLength: 8, maxLength: 8 }))
  .map(([route, values]) => {
    let i = 0;
    const path = route.path.replace(/:[A-Za-z]+/g, (param) => {
      const v = values[i++]!;
      // the tenant and the gateway mostly right, so the handlers behind the auth check run
      if (param === ':tenant' && i % 3 !== 0) return 'DEFAULT';
      if (param === ':controllerId' && i % 3 !== 0) return CID;
      return v;
    });
    return { method: route.method as string, path };
  });
const randomPath = fc
  .array(
    fc.oneof(segmentValue, fc.constantFrom('rest', 'v1', 'controller', 'DEFAULT', 'recipes', 'targets')),
    {
      maxLength: 7,
    },
  )
  .map((parts) => `/${parts.join('/')}`);

const rsqlish = fc
  .array(
    fc.constantFrom(
      'name',
      '==',
      '!=',
      '=lt=',
      '=in=',
      '(',
      ')',
      ';',
      ',',
      '*',
      'x',
      'and',
      'or',
      "'",
      ' ',
      'id',
      '1',
    ),
    {
      maxLength: 12,
    },
  )
  .map((a) => a.join(''));
const query = fc.option(
  fc
    .array(
      fc.tuple(
        fc.constantFrom('q', 'limit', 'offset', 'sort', 'filename', 'actionHistory', 'x'),
        fc.oneof(
          rsqlish,
          fc.constantFrom('0', '-1', '501', '1e9', 'name:ASC', 'id:DESC,x:UP', ''),
          fc.string({ maxLength: 8 }),
        ),
      ),
      { maxLength: 4 },
    )
    .map((pairs) => `?${new URLSearchParams(pairs).toString()}`),
  { nil: '' },
);

const headerName = fc
  .stringMatching(/^[a-z][a-z0-9-]{0,15}$/)
  .filter((n) => !HOP_BY_HOP.has(n) && n !== 'authorization' && n !== 'content-type');
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,40}$/).map((v) => v.trim());
/** `fitting`: admin for the Management API, the gateway's token for the Install API. */
const authorization = fc.oneof(
  { weight: 8, arbitrary: fc.constant('fitting') },
  fc.constantFrom(
    undefined,
    basic('admin'),
    basic('reader'),
    `TargetToken ${TOKEN}`,
    'TargetToken wrong',
    'GatewayToken x',
    'Basic !!!',
    `Basic ${Buffer.from('admin:wrong').toString('base64')}`,
    'Bearer abc.def.ghi',
    'Basic',
  ),
);
const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/json',
  'application/json',
  'application/octet-stream',
  'multipart/form-data; boundary=xyz',
  'multipart/form-data',
  'text/plain; charset=utf-8',
  'application/json; charset=latin1',
);
const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc
    .constantFrom(
      [{ name: 'm', version: '1', type: 'firmware' }],
      [{ controllerId: 'x', name: 'y' }],
      gatewayRecipe('r', '1.0.0', 1),
      gatewayReport(CID, '1.0.0'),
      { value: ['a'] },
      { status: { execution: 'closed', result: { finished: 'success' } } },
    )
    .chain((doc) =>
      fc
        .jsonValue({ maxDepth: 2 })
        .map((extra) => JSON.stringify(Array.isArray(doc) ? [...doc, extra] : { ...doc, extra })),
    ),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.constant(
    '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a\u00e9\u4e2d.bin"\r\n\r\nabc\r\n--xyz--\r\n',
  ),
);

const requestCase = fc.record({
  target: fc.oneof(
    { weight: 4, arbitrary: routePath },
    randomPath.map((path) => ({ method: 'GET', path })),
  ),
  method: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, fc.constantFrom(...METHODS)),
  query,
  authorization,
  contentType,
  headers: fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
  body,
});

describe('fuzz: server-lite HTTP handlers over a real socket', () => {
  let h: Harness;
  const agent = new Agent({ connections: 4 });

  beforeAll(async () => {
    h = await startHarness({ rateLimit: { getPerMinute: 10_000_000, writePerMinute: 10_000_000 } });
    // something to find: a target, a module with an artifact and a set, a recipe
    const targets = await h
      .mgmt()
      .post('targets', [{ controllerId: CID, name: 'fuzz', securityToken: TOKEN }]);
    expect(targets.status).toBe(201);
    const { setId } = await makeSet(h, 'gw-fw', '1.0.0', Buffer.from('image'), 'gw-fw-1.0.0.bin');
    expect((await h.mgmt().post('recipes', [gatewayRecipe('fuzz', '1.0.0', setId)])).status).toBe(201);
    expect(
      (await h.gateway(CID, `TargetToken ${TOKEN}`).put('/systemReport', gatewayReport(CID, '1.0.0'))).status,
    ).toBeLessThan(300);
  }, 60_000);
  afterAll(async () => {
    await agent.close();
    await h.stop();
  });

  it('random requests to every route: answered in time, never a 500, every error a coded JSON body', async () => {
    const statuses = new Map<number, number>();
    await fuzz(
      'server-lite/http',
      fc.asyncProperty(requestCase, async (c) => {
        let method = c.method ?? c.target.method;
        // the fixtures stay (deleting them would leave nothing but 404s for the rest of the run)
        if (method === 'DELETE' && FIXTURE.test(c.target.path)) method = 'GET';
        const headers: Record<string, string> = { ...c.headers };
        if (c.authorization === 'fitting')
          headers.authorization = c.target.path.startsWith('/rest/')
            ? basic('admin')
            : `TargetToken ${TOKEN}`;
        else if (c.authorization !== undefined) headers.authorization = c.authorization;
        if (c.contentType !== undefined) headers['content-type'] = c.contentType;
        const what = `${method} ${c.target.path}${c.query}`;
        const res = await boundedAsync(
          what,
          request(`${h.url}${c.target.path}${c.query}`, {
            method: method as 'GET',
            headers,
            body: method === 'GET' || method === 'HEAD' ? undefined : c.body,
            dispatcher: agent,
            // an answer that never ends gives its pooled connection back when the bound passes
            signal: AbortSignal.timeout(REQUEST_LIMIT_MS),
          }),
          REQUEST_LIMIT_MS,
        );
        const text = await boundedAsync(`${what} (body)`, res.body.text(), REQUEST_LIMIT_MS);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        expect(res.statusCode, `${what} → ${res.statusCode} ${text}`).not.toBe(500);
        expect(res.statusCode).toBeGreaterThanOrEqual(200);
        expect(res.statusCode).toBeLessThan(600);
        if (res.statusCode >= 400 && method !== 'HEAD') {
          let error: { errorCode?: unknown; message?: unknown };
          try {
            error = JSON.parse(text) as typeof error;
          } catch {
            throw new Error(`${what} → ${res.statusCode} without a JSON error body: ${text.slice(0, 200)}`);
          }
          expect(String(error.errorCode), `${what} → ${text}`).toMatch(/^soup\.[A-Za-z_]+(\.[A-Za-z_]+)*$/);
          expect(
            typeof error.message === 'string' && !error.message.includes('\n'),
            `${what} → ${text}`,
          ).toBe(true);
        }
      }),
    );
    console.log(`server-lite/http statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
    // still serving: a normal request after the run
    const after = await h.mgmt().get('targets');
    expect(after.status).toBe(200);
  }, 1_800_000);
});
