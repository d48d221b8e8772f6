/**
 * server-lite's console routes over real HTTP: the built assets (and nothing else) under `/console/`,
 * who the user is and what they may do, and the change stream that drives the live views.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeOf } from '../../src/server-lite/console/changes.js';
import { basic, type Harness, startHarness } from '../server-lite/harness.js';

describe('console routes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('serves the built console, with a content security policy, and nothing outside it', async () => {
    const root = await request(`${h.url}/`);
    await root.body.dump();
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/console/');
    const index = await request(`${h.url}/console/`);
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(String(index.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(await index.body.text()).toContain('<script type="module" src="/console/main.js">');
    const script = await request(`${h.url}/console/pages/system.js`);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const etag = String(script.headers.etag);
    await script.body.dump();
    const again = await request(`${h.url}/console/pages/system.js`, { headers: { 'if-none-match': etag } });
    await again.body.dump();
    expect(again.statusCode).toBe(304);
    for (const path of [
      '/console/nothing.js',
      '/console/%2e%2e/package.json',
      '/console/..%2fpackage.json',
    ]) {
      const res = await request(`${h.url}${path}`);
      expect(res.statusCode, path).toBe(404);
      // a 404 error body (from the console or the router), never the file
      expect(((await res.body.json()) as { errorCode: string }).errorCode, path).toMatch(
        /^soup\.\w+\.notFound$/,
      );
    }
  });

  it('tells the user their roles and which lifecycle transitions they may do', async () => {
    const anonymous = await request(`${h.url}/console/api/me`);
    await anonymous.body.dump();
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBeUndefined();
    const me = async (user: 'reader' | 'systems' | 'approver') => {
      const res = await request(`${h.url}/console/api/me`, { headers: { authorization: basic(user) } });
      expect(res.statusCode).toBe(200);
      return (await res.body.json()) as {
        name: string;
        grants: Record<string, boolean>;
        transitions: Record<string, boolean>;
      };
    };
    expect(await me('reader')).toMatchObject({
      name: 'reader',
      grants: {
        READ: true,
        MODULE_RESPONSIBLE: false,
        SYSTEM_RESPONSIBLE: false,
        APPROVER: false,
        ADMIN: false,
      },
      transitions: { promote: false, approve: false },
    });
    expect((await me('systems')).transitions).toEqual({
      promote: true,
      demote: true,
      release: true,
      approve: false,
      deactivate: true,
      revoke: true,
    });
    const approver = await me('approver');
    expect(Object.entries(approver.transitions).filter(([, ok]) => ok)).toEqual([['approve', true]]);
  });

  it('streams a change event for a system report and for a Management API write, not for reads', async () => {
    const denied = await request(`${h.url}/console/api/changes`);
    await denied.body.dump();
    expect(denied.statusCode).toBe(401);
    await h.mgmt().post('targets', [{ controllerId: 'gw-live', securityToken: 'live-token-0001' }]);
    const stream = await request(`${h.url}/console/api/changes`, {
      headers: { authorization: basic('reader'), accept: 'text/event-stream' },
    });
    expect(stream.statusCode).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const events: unknown[] = [];
    let buffer = '';
    const arrived = (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (events.length >= n) {
            stream.body.off('data', onData);
            resolve();
          }
        };
        const onData = (chunk: Buffer) => {
          buffer += chunk.toString('utf8');
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const data = /^data: (.*)$/m.exec(buffer.slice(0, end));
            if (data) events.push(JSON.parse(data[1] as string));
            buffer = buffer.slice(end + 2);
          }
          check();
        };
        stream.body.on('data', onData);
      });
    const first = arrived(1);
    await h.mgmt().get('systems');
    const report = await h.gateway('gw-live', 'TargetToken live-token-0001').put('/systemReport', {
      timestamp: new Date().toISOString(),
      gatewayId: 'gw-live',
      modules: [{ id: 'gw-live', type: 'gateway', name: 'gateway', attributes: { 'module-id': 'gw' } }],
    });
    expect(report.status).toBe(204);
    await first;
    // the GET before it announced nothing: the first event is the report's
    expect(events).toEqual([{ scope: 'system', controllerId: 'gw-live' }]);
    const second = arrived(2);
    await h.mgmt('systems').put('systems/gw-live', { scope: 'testing' });
    await second;
    expect(events[1]).toEqual({ scope: 'fleet' });
    stream.body.destroy();
  });

  it('classifies finished requests: only successful writes are changes', () => {
    expect(changeOf('GET', '/rest/v1/systems', 200)).toBeNull();
    expect(changeOf('POST', '/rest/v1/recipes', 400)).toBeNull();
    expect(changeOf('POST', '/rest/v1/recipes/3/promote', 200)).toEqual({ scope: 'fleet' });
    expect(changeOf('POST', '/DEFAULT/controller/v1/gw%201/systemUpdate/4/feedback', 200)).toEqual({
      scope: 'system',
      controllerId: 'gw 1',
    });
    expect(changeOf('POST', '/DEFAULT/controller/v1/%E0%A4%A/x', 200)).toBeNull();
    expect(changeOf('POST', '/oauth/token', 200)).toBeNull();
  });
});
