/**
 * Install API authentication and limits: TargetToken, GatewayToken (with auto-registration), OAuth2
 * client credentials (`POST /oauth/token` → Bearer), TLS client certificates (CN = controllerId, certs
 * made with the openssl command line), anonymous only when enabled, 429 + Retry-After per
 * (credential, controllerId), tenants isolated, JSON errors and 413 on the Install API.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { makeTestPki } from '../helpers/test-pki.js';
import { gatewayReport, type Harness, startHarness } from './harness.js';

describe('Install API authentication', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      clients: [{ clientId: 'gateways', clientSecret: 'client-secret', scopes: ['install'] }],
      gatewayToken: 'tenant-gateway-token',
    });
    await h.mgmt('systems').post('targets', [
      { controllerId: 'gw-a', securityToken: 'token-a' },
      { controllerId: 'gw-b', securityToken: 'token-b' },
    ]);
  });
  afterAll(async () => {
    await h.stop();
  });

  it('no credentials → 401; a TargetToken of another controller → 401 revealing nothing', async () => {
    const none = await h.gateway('gw-a', null).get('');
    expect(none.status).toBe(401);
    expect(none.json.errorCode).toBe('soup.auth.unauthorized');
    const other = await h.gateway('gw-a', 'TargetToken token-b').get('');
    const missing = await h.gateway('no-such-gw', 'TargetToken token-b').get('');
    expect(other.status).toBe(401);
    expect(missing.status).toBe(401);
    expect(other.json).toEqual(missing.json);
    expect((await h.gateway('gw-a', 'TargetToken token-a').get('')).status).toBe(200);
    expect((await h.gateway('gw-a', 'Digest abc').get('')).status).toBe(401);
  });

  it('GatewayToken works for any controller; unknown controllers need autoRegister', async () => {
    expect((await h.gateway('gw-b', 'GatewayToken tenant-gateway-token').get('')).status).toBe(200);
    expect((await h.gateway('gw-b', 'GatewayToken wrong').get('')).status).toBe(401);
    const unknown = await h.gateway('gw-new', 'GatewayToken tenant-gateway-token').get('');
    expect(unknown.status).toBe(404);
    await h.mgmt('admin').put('tenant/configs/autoRegister', { value: true });
    const registered = await h.gateway('gw-new', 'GatewayToken tenant-gateway-token').get('');
    expect(registered.status).toBe(200);
    expect(registered.json._links.systemReport).toBeDefined();
    expect((await h.mgmt('reader').get('targets/gw-new')).json.updateStatus).toBe('registered');
    await h.mgmt('admin').put('tenant/configs/autoRegister', { value: false });
  });

  it('OAuth2 client credentials: token endpoint, Bearer access, bad secret and grant refused', async () => {
    const form = (body: string, headers: Record<string, string> = {}) =>
      request(`${h.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body,
      });
    const ok = await form(
      'grant_type=client_credentials&client_id=gateways&client_secret=client-secret&scope=install',
    );
    expect(ok.statusCode).toBe(200);
    const token = (await ok.body.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(token).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect((await h.gateway('gw-a', `Bearer ${token.access_token}`).get('')).status).toBe(200);
    expect((await h.gateway('gw-a', 'Bearer forged').get('')).status).toBe(401);
    const basicAuth = await form('grant_type=client_credentials', {
      authorization: `Basic ${Buffer.from('gateways:client-secret').toString('base64')}`,
    });
    expect(basicAuth.statusCode).toBe(200);
    await basicAuth.body.dump();
    const bad = await form('grant_type=client_credentials&client_id=gateways&client_secret=nope');
    expect(bad.statusCode).toBe(401);
    expect(((await bad.body.json()) as { error: string }).error).toBe('invalid_client');
    const grant = await form('grant_type=password&client_id=gateways&client_secret=client-secret');
    expect(grant.statusCode).toBe(400);
    expect(((await grant.body.json()) as { error: string }).error).toBe('unsupported_grant_type');
    const scope = await form(
      'grant_type=client_credentials&client_id=gateways&client_secret=client-secret&scope=admin',
    );
    expect(scope.statusCode).toBe(400);
    await scope.body.dump();
  });

  it('another tenant is 404; unknown actions are 404; malformed JSON 400 and oversize bodies 413, as JSON', async () => {
    const other = await request(`${h.url}/OTHER/controller/v1/gw-a`, {
      headers: { authorization: 'TargetToken token-a' },
    });
    expect(other.statusCode).toBe(404);
    expect(((await other.body.json()) as { errorCode: string }).errorCode).toBe('soup.tenant.notFound');
    const gw = h.gateway('gw-a', 'TargetToken token-a');
    expect((await gw.get('/systemUpdate/424242')).status).toBe(404);
    expect((await gw.get('/deploymentBase/abc')).status).toBe(404);
    const bad = await gw.raw('PUT', '/systemReport', '{"gatewayId":', { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(bad.json.errorCode).toBe('soup.request.malformedJson');
    expect(bad.json.message).toBe('malformed JSON body at byte 13: unexpected end of input');
    const big = await gw.raw(
      'PUT',
      '/systemReport',
      JSON.stringify({ gatewayId: 'gw-a', modules: [], pad: 'x'.repeat(2_000_000) }),
      {
        'content-type': 'application/json',
      },
    );
    expect(big.status).toBe(413);
    const wrongGw = await gw.put('/systemReport', gatewayReport('gw-b', '1.0'));
    expect(wrongGw.status).toBe(400);
    expect(wrongGw.json.message).toMatch(/gatewayId gw-b is not the controllerId gw-a/);
    const wrongType = await gw.put('/systemReport', {
      gatewayId: 'gw-a',
      modules: [{ id: 'x', type: 't', name: 'n', attributes: { v: 1 } }],
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.message).toMatch(/modules\[0\]\.attributes\.v must be string/);
  });
});

describe('Install API rate limits', () => {
  it('429 with Retry-After when a (credential, controllerId) exceeds its GETs per minute; next window OK', async () => {
    const clock = new ManualClock(Date.parse('2026-11-22T10:00:00Z'));
    const h = await startHarness({ rateLimit: { getPerMinute: 3, writePerMinute: 2 } }, clock);
    try {
      await h.mgmt('systems').post('targets', [
        { controllerId: 'r1', securityToken: 't1' },
        { controllerId: 'r2', securityToken: 't2' },
      ]);
      const g1 = h.gateway('r1', 'TargetToken t1');
      for (let i = 0; i < 3; i++) expect((await g1.get('')).status).toBe(200);
      clock.advance(20_000);
      const limited = await g1.get('');
      expect(limited.status).toBe(429);
      expect(limited.headers['retry-after']).toBe('40');
      expect(limited.json.errorCode).toBe('soup.request.tooManyRequests');
      expect((await h.gateway('r2', 'TargetToken t2').get('')).status).toBe(200);
      const report = gatewayReport('r1', '1');
      expect((await g1.put('/systemReport', report)).status).toBe(204);
      expect((await g1.put('/systemReport', report)).status).toBe(204);
      expect((await g1.put('/systemReport', report)).status).toBe(429);
      clock.advance(40_000);
      expect((await g1.get('')).status).toBe(200);
    } finally {
      await h.stop();
    }
  });
});

describe('Install API over TLS with client certificates', () => {
  it('a client certificate whose CN is the controllerId authenticates; another CN does not', async () => {
    const h0 = await startHarness();
    const dir = h0.dir;
    makeTestPki(dir, [
      { name: 'server', cn: '127.0.0.1', usage: 'server' },
      { name: 'tls-gw', cn: 'tls-gw', usage: 'client' },
      { name: 'intruder', cn: 'someone-else', usage: 'client' },
    ]);
    await h0.restart({
      tls: { cert: join(dir, 'server.crt'), key: join(dir, 'server.key'), clientCa: join(dir, 'ca.crt') },
    });
    try {
      expect(h0.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const agentFor = (name: string) =>
        new Agent({
          connect: {
            ca: readFileSync(join(dir, 'ca.crt')),
            cert: readFileSync(join(dir, `${name}.crt`)),
            key: readFileSync(join(dir, `${name}.key`)),
          },
        });
      const admin = new Agent({ connect: { ca: readFileSync(join(dir, 'ca.crt')) } });
      const created = await request(`${h0.url}/rest/v1/targets`, {
        method: 'POST',
        dispatcher: admin,
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from('admin:admin-pw').toString('base64')}`,
        },
        body: JSON.stringify([{ controllerId: 'tls-gw' }]),
      });
      expect(created.statusCode).toBe(201);
      await created.body.dump();
      const ok = await request(`${h0.url}/DEFAULT/controller/v1/tls-gw`, { dispatcher: agentFor('tls-gw') });
      expect(ok.statusCode).toBe(200);
      expect(
        ((await ok.body.json()) as { _links: Record<string, { href: string }> })._links.systemReport?.href,
      ).toMatch(/^https:/);
      const intruder = await request(`${h0.url}/DEFAULT/controller/v1/tls-gw`, {
        dispatcher: agentFor('intruder'),
      });
      expect(intruder.statusCode).toBe(401);
      await intruder.body.dump();
      await Promise.all([admin.close()]);
    } finally {
      await h0.stop();
    }
  });

  it('refuses to listen beyond loopback without TLS', async () => {
    await expect(startHarness({ host: '0.0.0.0' })).rejects.toThrow(
      /refusing to listen on 0.0.0.0 without tls/,
    );
  });
});

describe('anonymous Install API access', () => {
  it('only when enabled in the configuration', async () => {
    const h = await startHarness();
    try {
      await h.mgmt('systems').post('targets', [{ controllerId: 'anon', securityToken: 'x' }]);
      expect((await h.gateway('anon', null).get('')).status).toBe(401);
      await h.restart({ anonymous: true });
      expect((await h.gateway('anon', null).get('')).status).toBe(200);
      expect((await h.gateway('not-registered', null).get('')).status).toBe(404);
    } finally {
      await h.stop();
    }
  });
});
