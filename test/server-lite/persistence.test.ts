/**
 * All state survives a restart (SQLite WAL file + artifact directory): the recipe file bytes and ETag,
 * signatures, systems, actions with feedback, tenant configuration, OAuth2 tokens. And the CLI as a
 * separate process: `server-lite --port 0` prints its ready line (and the generated admin once), exits 0
 * on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { mod, noImageRecipe, report, toReleased } from './flows.js';
import { gatewayRecipe, makeSet, sha256, startHarness } from './harness.js';
import { testSigner } from './signer.js';

describe('restart persistence', () => {
  it('keeps recipes byte for byte, systems, actions, tenant config and tokens', async () => {
    const h = await startHarness({ clients: [{ clientId: 'c', clientSecret: 's', scopes: ['install'] }] });
    try {
      const signer = testSigner('k');
      const { setId, artifactId } = await makeSet(h, 'p', '1.0.0', Buffer.from('persisted bytes'));
      const rid = (await h.mgmt('systems').post('recipes', [gatewayRecipe('p', '1.0.0', setId)])).json[0].id;
      const file = await toReleased(h, rid, signer);
      await h.mgmt('admin').put('tenant/configs/pollingSleep', { value: '00:05:00' });
      await h.mgmt('systems').post('targets', [{ controllerId: 'pg', securityToken: 'pt' }]);
      const gw = () => h.gateway('pg', 'TargetToken pt');
      await gw().put('/systemReport', report('pg', [mod('pg', 'gw', { swVersion: '0.9' })]));
      const actionId = ((await gw().get('')).json._links.systemUpdate.href as string).split('/').pop();
      await gw().post(`/systemUpdate/${actionId}/feedback`, {
        feedbackId: 'before-restart',
        timestamp: 1,
        status: { execution: 'proceeding', result: { finished: 'none' } },
      });
      const tokenRes = await request(`${h.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=c&client_secret=s',
      });
      const token = ((await tokenRes.body.json()) as { access_token: string }).access_token;

      await h.restart();

      const again = await h.mgmt().get(`recipes/${rid}/file`);
      expect(again.bytes.equals(file)).toBe(true);
      expect(again.headers.etag).toBe(`"${sha256(file)}"`);
      expect((await h.mgmt().get(`recipes/${rid}`)).json).toMatchObject({
        lifecycle: 'RELEASED',
        approvedBy: 'approver',
      });
      expect((await h.mgmt().get(`recipes/${rid}/signatures`)).json.signatures).toHaveLength(1);
      const root = await gw().get('');
      expect(root.json.config.polling.sleep).toBe('00:05:00');
      expect(root.json._links.systemUpdate.href).toMatch(new RegExp(`/systemUpdate/${actionId}$`));
      const installFile = await gw().get(`/recipes/${rid}/file`);
      expect(installFile.bytes.equals(file)).toBe(true);
      expect((await gw().get(`/artifacts/${artifactId}`)).text).toBe('persisted bytes');
      const dup = await gw().post(`/systemUpdate/${actionId}/feedback`, {
        feedbackId: 'before-restart',
        timestamp: 1,
        status: { execution: 'proceeding', result: { finished: 'none' } },
      });
      expect(dup.status).toBe(200);
      const actions = (await h.mgmt().get('systems/pg/actions')).json.content;
      expect(actions[0].feedback.map((f: { feedbackId: string }) => f.feedbackId)).toEqual([
        'before-restart',
      ]);
      expect((await h.mgmt().get('systems/pg')).json.matchedRecipe.id).toBe(rid);
      expect((await h.gateway('pg', `Bearer ${token}`).get('')).status).toBe(200);
      // coverage and the no-image recipes also survive
      const n = (
        await h
          .mgmt('systems')
          .post('recipes', [noImageRecipe('n', '1', [['gw', 'attributes.module-id==gw', 'count==1']])])
      ).json[0];
      expect(n.coverage).toEqual({ class: 'VERY_HIGH', matched: 1, total: 1 });
    } finally {
      await h.stop();
    }
  });
});

describe('soup-agent server-lite (separate process)', () => {
  it('prints the admin and ready lines, serves, and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'server-lite-cli-'));
    const cli = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
    const child = spawn(process.execPath, [cli, 'server-lite', '--port', '0', '--data', join(dir, 'data')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const lines: Record<string, unknown>[] = [];
      const rl = createInterface({ input: child.stdout });
      const ready = await new Promise<{ url: string; tenant: string }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no ready line within 20 s')), 20_000);
        rl.on('line', (line) => {
          const v = JSON.parse(line) as Record<string, unknown>;
          lines.push(v);
          if (v.ready === true) {
            clearTimeout(timer);
            resolve(v as { url: string; tenant: string });
          }
        });
      });
      expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(ready.tenant).toBe('DEFAULT');
      const admin = lines[0]?.admin as { name: string; password: string };
      expect(admin.name).toBe('admin');
      const res = await request(`${ready.url}/rest/v1/softwaremoduletypes`, {
        headers: { authorization: `Basic ${Buffer.from(`admin:${admin.password}`).toString('base64')}` },
      });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
