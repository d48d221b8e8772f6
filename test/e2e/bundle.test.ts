/**
 * Offline bundles end to end: the system update app PUTs the gateway's report and fetches the open
 * system update into a bundle; the gateway (no daemon, no network to the backend needed) installs it
 * with `soup-agent install`, recording feedback offline; `feedback export` + `bundle upload-feedback`
 * carry it back and close the action; the daemon started later finds nothing left to send twice.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CID, cli, E2e, image, sha256, TOKEN } from './harness.js';

describe('e2e: offline bundle', () => {
  const e = new E2e();

  beforeAll(async () => {
    await e.start();
  }, 60_000);
  afterAll(async () => {
    await e.stop();
  });

  it('bundle create → install (no daemon) → feedback export → upload-feedback closes the action', async () => {
    const bytes = image('2.0.0');
    const recipeId = await e.release({ version: '2.0.0', image: bytes });
    const config = e.agentConfig();
    const report = cli(['report', '--json', '-c', config]);
    expect(report.status).toBe(0);
    const reportFile = join(e.dir, 'report.json');
    (await import('node:fs')).writeFileSync(reportFile, report.stdout);
    const server = ['--server', e.url, '--tenant', 'DEFAULT', '--controller', CID, '--token', TOKEN];
    const bundleFile = join(e.dir, 'update.tar');
    const created = cli(['bundle', 'create', ...server, '--report', reportFile, '-o', bundleFile]);
    expect(created.status, created.stderr).toBe(0);
    const manifest = JSON.parse(created.stdout) as {
      format: string;
      actionId: string;
      recipe: { id: string };
    };
    expect(manifest).toMatchObject({ format: 'soup-bundle/1', recipe: { id: String(recipeId) } });

    const installed = cli(['install', bundleFile, '-c', config]);
    expect(installed.status, installed.stderr).toBe(0);
    expect(sha256(e.installed())).toBe(sha256(bytes));
    expect(e.status(config)).toMatchObject({
      lastResult: { actionId: manifest.actionId, finished: 'success' },
    });
    // a second install of the same bundle is refused
    expect(cli(['install', bundleFile, '-c', config]).status).toBe(1);

    const exported = join(e.dir, 'feedback.json');
    expect(cli(['feedback', 'export', '-o', exported, '-c', config]).status).toBe(0);
    const records = (
      JSON.parse((await import('node:fs')).readFileSync(exported, 'utf8')) as {
        records: Record<string, unknown>[];
      }
    ).records;
    expect(records.length).toBeGreaterThan(3);
    expect(
      records.every(
        (r) => r.offline === true && r.actionId === manifest.actionId && r.recipeId === String(recipeId),
      ),
    ).toBe(true);
    expect(records.at(-1)).toMatchObject({
      status: { execution: 'closed', result: { finished: 'success' } },
    });

    const uploaded = cli(['bundle', 'upload-feedback', ...server, exported]);
    expect(uploaded.status, uploaded.stderr).toBe(0);
    const action = await e.waitForAction((a) => String(a.id) === manifest.actionId && a.status !== 'open');
    expect(action.result).toBe('success');
    expect(action.feedback.length).toBe(records.length);

    // back online: the outbox goes out, each feedbackId already known (recorded once), then empty
    e.startAgent(config);
    const deadline = Date.now() + 30_000;
    while ((e.status(config) as { pendingFeedback: number }).pendingFeedback > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(e.status(config)).toMatchObject({ pendingFeedback: 0, installedRecipe: { id: String(recipeId) } });
    const after = (await e.actions()).find((a) => String(a.id) === manifest.actionId);
    expect(after?.feedback.length).toBe(records.length);
  }, 120_000);
});
