/**
 * The auth suite, over real sockets, on every route server-lite registers (the list is read from
 * `routes.ts`, so a new route is covered the day it lands):
 * - Install API: no credentials, a wrong token and another gateway's token → 401 revealing nothing;
 *   another gateway's action → 404;
 * - Management API: no credentials, a wrong password, an unknown user, a malformed header → 401;
 * - path traversal in every path parameter (request lines sent byte for byte: `..`, `%2E%2E`, encoded
 *   slashes and backslashes, NUL) → a 4xx JSON error, never bytes, never a 5xx; no target registered;
 * - oversized bodies → 413 on every POST and PUT (declared or chunked);
 * - hundreds of idle connections do not starve a normal request;
 * - a TLS client certificate of another gateway, or of another CA, → 401 on every Install API route.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Route } from '../../src/server-lite/http/route.js';
import { ALL_ROUTES } from '../../src/server-lite/routes.js';
import { makeTestPki } from '../helpers/test-pki.js';
import { toReleased } from './flows.js';
import { basic, gatewayRecipe, gatewayReport, type Harness, makeSet, startHarness } from './harness.js';
import { type RawReply, rawRequest } from './raw-http.js';
import { testSigner } from './signer.js';

const INSTALL = ALL_ROUTES.filter((r) => r.path.startsWith('/:tenant/controller/v1/:controllerId'));
const MGMT = ALL_ROUTES.filter((r) => r.path.startsWith('/rest/v1/'));
const JSON_LIMIT = 1024;
const ARTIFACT_LIMIT = 4096;

const paramsOf = (r: Route): string[] => [...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] as string);

/** The route's path with each `:param` replaced by `values[param]` (already encoded as it goes on the wire). */
function fill(r: Route, values: Record<string, string>): string {
  return r.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`no value for :${name} in ${r.path}`);
    return v;
  });
}

const hasBody = (r: Route) => r.method === 'POST' || r.method === 'PUT';
const label = (r: Route, path: string) => `${r.method} ${path}`;

describe('auth suite over real sockets', () => {
  let h: Harness;
  let port: number;
  let install: Record<string, string>;
  const TOKEN_A = 'TargetToken token-a';

  const send = (
    r: Route,
    path: string,
    authorization: string | null,
    extra: Parameters<typeof rawRequest>[3] = {},
  ) =>
    rawRequest(port, r.method, path, {
      ...extra,
      headers: {
        ...(authorization ? { authorization } : {}),
        ...(hasBody(r) && !extra.chunks ? { 'content-type': 'application/json' } : {}),
        ...extra.headers,
      },
      body:
        extra.body ??
        (hasBody(r) && !extra.chunks && extra.declaredLength === undefined ? Buffer.from('{}') : undefined),
    });

  beforeAll(async () => {
    h = await startHarness({
      gatewayToken: 'tenant-gateway-token',
      jsonBodyLimit: JSON_LIMIT,
      artifactLimit: ARTIFACT_LIMIT,
      rateLimit: { getPerMinute: 1_000_000, writePerMinute: 1_000_000 },
      clients: [{ clientId: 'gateways', clientSecret: 'client-secret', scopes: ['install'] }],
    });
    port = h.server.port;
    await h.mgmt('systems').post('targets', [
      { controllerId: 'gw-a', securityToken: 'token-a' },
      { controllerId: 'gw-b', securityToken: 'token-b' },
    ]);
    const set = await makeSet(h, 'fw', '1', Buffer.from('firmware bytes'), 'fw.bin');
    const gwA = h.gateway('gw-a', TOKEN_A);
    expect((await gwA.put('/systemReport', gatewayReport('gw-a', '0.9'))).status).toBe(204);
    const recipe = await h.mgmt('systems').post('recipes', [gatewayRecipe('fleet', '1', set.setId)]);
    await toReleased(h, recipe.json[0].id, testSigner('oem'));
    const href = (await gwA.get('')).json._links.systemUpdate.href as string;
    install = {
      tenant: 'DEFAULT',
      controllerId: 'gw-a',
      actionId: href.split('/').pop() as string,
      moduleId: String(set.moduleId),
      fileName: 'fw.bin',
      recipeId: String(recipe.json[0].id),
      fileId: String(set.artifactId),
    };
  });
  afterAll(async () => {
    await h.stop();
  });

  it('covers the routes it claims to', () => {
    expect(INSTALL.length).toBeGreaterThanOrEqual(20);
    expect(MGMT.length).toBeGreaterThanOrEqual(60);
  });

  it('Install API: no, wrong or another gateway’s credentials → 401 on every route, revealing nothing', async () => {
    const wrong: string[] = [];
    const bad = [
      null,
      'TargetToken wrong',
      'TargetToken token-b',
      'GatewayToken wrong',
      'Bearer forged',
      'Digest x',
    ];
    for (const r of INSTALL) {
      const path = fill(r, install);
      const answers: RawReply[] = [];
      for (const auth of bad) {
        const res = await send(r, path, auth);
        answers.push(res);
        if (res.status !== 401 || (r.method !== 'HEAD' && res.json?.errorCode !== 'soup.auth.unauthorized'))
          wrong.push(
            `${label(r, path)} with ${auth}: ${res.status} ${res.body.toString('utf8').slice(0, 120)}`,
          );
      }
      // the other gateway's valid token answers exactly what a forged one does
      expect(answers[2]?.json).toEqual(answers[1]?.json);
      const own = await send(r, path, TOKEN_A);
      if (own.status === 401 || own.status >= 500)
        wrong.push(`${label(r, path)} with its own token: ${own.status}`);
    }
    expect(wrong).toEqual([]);
  });

  it('Install API: another gateway’s action, with its own valid token, is 404', async () => {
    const wrong: string[] = [];
    for (const r of INSTALL.filter((x) => paramsOf(x).includes('actionId'))) {
      const path = fill(r, { ...install, controllerId: 'gw-b' });
      const res = await send(r, path, 'TargetToken token-b');
      if (res.status !== 404 && res.status !== 400) wrong.push(`${label(r, path)}: ${res.status}`);
    }
    expect(wrong).toEqual([]);
  });

  it('Management API: no credentials, a wrong password, an unknown user, a malformed header → 401 on every route', async () => {
    const wrong: string[] = [];
    const none: Record<string, string> = {
      id: '999999',
      key: 'no-such-key',
      artifactId: '999999',
      tagId: '999999',
      entityId: 'nobody',
      moduleId: '999999',
      controllerId: 'nobody',
      actionId: '999999',
    };
    const bad = [
      null,
      `Basic ${Buffer.from('admin:wrong').toString('base64')}`,
      `Basic ${Buffer.from('mallory:admin-pw').toString('base64')}`,
      'Basic !!!',
      'Bearer admin-pw',
      'TargetToken token-a',
    ];
    for (const r of MGMT) {
      const path = fill(r, none);
      for (const auth of bad) {
        const res = await send(r, path, auth);
        if (res.status !== 401 || res.json?.errorCode !== 'soup.auth.unauthorized')
          wrong.push(`${label(r, path)} with ${auth}: ${res.status}`);
      }
      const admin = await send(r, path, basic('admin'));
      if (admin.status === 401 || admin.status >= 500)
        wrong.push(`${label(r, path)} as admin: ${admin.status}`);
    }
    expect(wrong).toEqual([]);
  });

  it('path traversal in every path parameter → a 4xx JSON error, never bytes or a 5xx', async () => {
    const hostile = [
      '..',
      '.',
      '%2E%2E',
      '..%2F..%2Fserver-lite.db',
      '..%5C..%5Cserver-lite.db',
      'a%00b',
      '%2F',
    ];
    const mgmtValid: Record<string, string> = {
      id: '1',
      key: 'x',
      artifactId: install.fileId as string,
      tagId: '1',
      entityId: 'gw-a',
      moduleId: install.moduleId as string,
      controllerId: 'gw-a',
      actionId: install.actionId as string,
    };
    const wrong: string[] = [];
    let requests = 0;
    for (const [routes, valid, auth] of [
      [INSTALL, install, TOKEN_A],
      [MGMT, mgmtValid, basic('admin')],
    ] as const) {
      for (const r of routes) {
        for (const p of paramsOf(r)) {
          for (const v of hostile) {
            const path = fill(r, { ...valid, [p]: v });
            const res = await send(r, path, auth);
            requests++;
            const text = res.body.toString('latin1');
            if (
              res.status < 400 ||
              res.status >= 500 ||
              (r.method !== 'HEAD' && typeof res.json?.errorCode !== 'string')
            )
              wrong.push(`${label(r, path)}: ${res.status} ${text.slice(0, 100)}`);
            if (text.includes('SQLite format 3') || text.includes('firmware bytes'))
              wrong.push(`${label(r, path)} served bytes`);
          }
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(requests).toBeGreaterThan(500);
    const targets = (await h.mgmt('reader').get('targets?limit=500')).json.content.map(
      (t: { controllerId: string }) => t.controllerId,
    );
    expect(targets.sort()).toEqual(['gw-a', 'gw-b']);
  });

  it('auto-registration refuses controller ids that read as path steps or hold control characters', async () => {
    await h.mgmt('admin').put('tenant/configs/autoRegister', { value: true });
    try {
      for (const cid of ['..', '.', '%2E%2E', 'a%00b', 'a%0Ab']) {
        const res = await rawRequest(port, 'GET', `/DEFAULT/controller/v1/${cid}`, {
          headers: { authorization: 'GatewayToken tenant-gateway-token' },
        });
        expect(res.status, cid).toBe(404);
        expect(res.json.errorCode).toBe('soup.target.notFound');
      }
      const ok = await rawRequest(port, 'GET', '/DEFAULT/controller/v1/gw-new', {
        headers: { authorization: 'GatewayToken tenant-gateway-token' },
      });
      expect(ok.status).toBe(200);
      const targets = (await h.mgmt('reader').get('targets')).json.content.map(
        (t: { controllerId: string }) => t.controllerId,
      );
      expect(targets.sort()).toEqual(['gw-a', 'gw-b', 'gw-new']);
      expect((await h.mgmt('systems').post('targets', [{ controllerId: '..' }])).status).toBe(400);
    } finally {
      await h.mgmt('admin').put('tenant/configs/autoRegister', { value: false });
    }
  });

  it('oversized bodies → 413 on every POST and PUT, declared or chunked', async () => {
    const wrong: string[] = [];
    const mgmtValid: Record<string, string> = {
      id: install.moduleId as string,
      key: 'x',
      tagId: '1',
      controllerId: 'gw-a',
    };
    for (const r of ALL_ROUTES.filter(hasBody)) {
      const isInstall = r.path.startsWith('/:tenant/');
      const path = fill(r, isInstall ? install : mgmtValid);
      const auth = isInstall ? TOKEN_A : r.path.startsWith('/rest/') ? basic('admin') : null;
      const limit = r.body === 'artifact' ? ARTIFACT_LIMIT : JSON_LIMIT;
      const res = await send(r, path, auth, { body: Buffer.alloc(limit + 1, 0x20) });
      const code = r.body === 'artifact' ? 'soup.artifact.tooLarge' : 'soup.request.tooLarge';
      if (res.status !== 413 || res.json?.errorCode !== code) wrong.push(`${label(r, path)}: ${res.status}`);
      // declared only: the server answers without waiting for (or reading) the body
      const declared = await send(r, path, auth, { declaredLength: 50 * 1024 * 1024 });
      if (declared.status !== 413) wrong.push(`${label(r, path)} (declared 50 MiB): ${declared.status}`);
    }
    expect(wrong).toEqual([]);
    const chunk = Buffer.alloc(700, 0x20);
    const report = await rawRequest(port, 'PUT', '/DEFAULT/controller/v1/gw-a/systemReport', {
      headers: { authorization: TOKEN_A, 'content-type': 'application/json' },
      chunks: [chunk, chunk],
    });
    expect(report.status).toBe(413);
    expect(report.json.errorCode).toBe('soup.request.tooLarge');
    const recipes = await rawRequest(port, 'POST', '/rest/v1/recipes', {
      headers: { authorization: basic('systems'), 'content-type': 'application/json' },
      chunks: [chunk, chunk],
    });
    expect(recipes.status).toBe(413);
    const upload = await rawRequest(
      port,
      'POST',
      `/rest/v1/softwaremodules/${install.moduleId}/artifacts?filename=big.bin`,
      {
        headers: { authorization: basic('modules'), 'content-type': 'application/octet-stream' },
        chunks: [Buffer.alloc(3000), Buffer.alloc(3000)],
      },
    );
    expect(upload.status).toBe(413);
    expect(upload.json.errorCode).toBe('soup.artifact.tooLarge');
  });

  it('hundreds of idle connections (some with half a request) do not starve a normal request', async () => {
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 300; i++) {
        const s = connect(port, '127.0.0.1');
        s.on('error', () => undefined);
        await new Promise<void>((resolve, reject) => {
          s.once('connect', () => resolve());
          s.once('error', reject);
        });
        if (i % 2 === 0) s.write('GET /rest/v1/systems HTTP/1.1\r\nHost: 127.0.0.1\r\n');
        sockets.push(s);
      }
      const res = await request(`${h.url}/rest/v1/systems`, { headers: { authorization: basic('reader') } });
      expect(res.statusCode).toBe(200);
      expect(((await res.body.json()) as { total: number }).total).toBeGreaterThanOrEqual(2);
      const poll = await request(`${h.url}/DEFAULT/controller/v1/gw-a`, {
        headers: { authorization: TOKEN_A },
      });
      expect(poll.statusCode).toBe(200);
      await poll.body.dump();
    } finally {
      for (const s of sockets) s.destroy();
    }
  });
});

describe('auth suite: TLS client certificates', () => {
  it('a certificate of another gateway, or of another CA, is 401 on every Install API route', async () => {
    const h = await startHarness();
    try {
      const dir = h.dir;
      makeTestPki(dir, [
        { name: 'server', cn: '127.0.0.1', usage: 'server' },
        { name: 'gw-a', cn: 'gw-a', usage: 'client' },
        { name: 'gw-b', cn: 'gw-b', usage: 'client' },
      ]);
      const foreignDir = join(dir, 'foreign');
      mkdirSync(foreignDir);
      makeTestPki(foreignDir, [{ name: 'gw-a', cn: 'gw-a', usage: 'client' }]);
      await h.restart({
        tls: { cert: join(dir, 'server.crt'), key: join(dir, 'server.key'), clientCa: join(dir, 'ca.crt') },
      });
      const ca = readFileSync(join(dir, 'ca.crt'));
      const agent = (certDir: string | null) =>
        new Agent({
          connect: certDir
            ? {
                ca,
                cert: readFileSync(join(certDir, 'gw-a.crt')),
                key: readFileSync(join(certDir, 'gw-a.key')),
              }
            : { ca, cert: readFileSync(join(dir, 'gw-b.crt')), key: readFileSync(join(dir, 'gw-b.key')) },
        });
      const own = agent(dir);
      const other = agent(null);
      const foreign = agent(foreignDir);
      const admin = new Agent({ connect: { ca } });
      const created = await request(`${h.url}/rest/v1/targets`, {
        method: 'POST',
        dispatcher: admin,
        headers: { 'content-type': 'application/json', authorization: basic('admin') },
        body: JSON.stringify([{ controllerId: 'gw-a' }, { controllerId: 'gw-b' }]),
      });
      expect(created.statusCode).toBe(201);
      await created.body.dump();
      const values = {
        tenant: 'DEFAULT',
        controllerId: 'gw-a',
        actionId: '1',
        moduleId: '1',
        fileName: 'x.bin',
        recipeId: '1',
        fileId: '1',
      };
      const wrong: string[] = [];
      for (const r of INSTALL) {
        const path = fill(r, values);
        const call = async (dispatcher: Agent) => {
          const res = await request(`${h.url}${path}`, {
            method: r.method,
            dispatcher,
            ...(hasBody(r) ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
          });
          const text = r.method === 'HEAD' ? '' : await res.body.text();
          if (r.method === 'HEAD') await res.body.dump();
          return { status: res.statusCode, text };
        };
        for (const [name, dispatcher] of [
          ['gw-b', other],
          ['foreign CA', foreign],
        ] as const) {
          const res = await call(dispatcher);
          if (res.status !== 401) wrong.push(`${label(r, path)} with the ${name} certificate: ${res.status}`);
        }
        const mine = await call(own);
        if (mine.status === 401 || mine.status >= 500)
          wrong.push(`${label(r, path)} with its own certificate: ${mine.status}`);
      }
      expect(wrong).toEqual([]);
      await Promise.all([own.close(), other.close(), foreign.close(), admin.close()]);
    } finally {
      await h.stop();
    }
  });
});
