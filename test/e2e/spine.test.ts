/**
 * The spine, end to end: server-lite and soup-agent as separate processes over HTTP on 127.0.0.1, real
 * keys and signatures, a real file installed by the `rawfile` handler. One full update to closed/success,
 * then a recipe with a bad signature and one that does not match the live system, each `rejected` with
 * its reason and nothing installed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CID, E2e, image, sha256 } from './harness.js';

describe('e2e spine: server-lite + agent processes', () => {
  const e = new E2e();
  let config: string;
  const v2 = image('2.0.0');

  beforeAll(async () => {
    await e.start();
  }, 60_000);
  afterAll(async () => {
    await e.stop();
  });

  it('a released recipe is installed: closed/success, bytes in place, installedRecipe, status lastResult', async () => {
    const recipeId = await e.release({ version: '2.0.0', image: v2 });
    config = e.agentConfig();
    e.startAgent(config);
    const action = await e.waitForAction((a) => a.status !== 'open');
    expect(action).toMatchObject({ kind: 'systemUpdate', status: 'finished', result: 'success' });
    expect(sha256(e.installed())).toBe(sha256(v2));
    const system = await e.mgmt.get<{
      installedRecipe: { id: number | string } | null;
      lastReport: { modules: { name: string; attributes: Record<string, string> }[] };
    }>(`systems/${CID}`);
    expect(String(system.installedRecipe?.id)).toBe(String(recipeId));
    const ids = action.feedback.map((f) => f.feedbackId);
    expect(new Set(ids).size).toBe(ids.length);
    const last = action.feedback.at(-1);
    expect(last?.status).toMatchObject({ execution: 'closed', result: { finished: 'success' } });
    expect(last?.modules).toEqual([expect.objectContaining({ module: CID, state: 'committed' })]);
    // the agent reports the version it installed once the server asks again
    await e.waitForAction(() => true);
    const deadline = Date.now() + 20_000;
    let reported: string | undefined;
    while (Date.now() < deadline) {
      const s = await e.mgmt.get<{
        lastReport: { modules: { name: string; attributes: Record<string, string> }[] };
      }>(`systems/${CID}`);
      reported = s.lastReport.modules.find((m) => m.name === 'gateway')?.attributes.swVersion;
      if (reported === '2.0.0') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(reported).toBe('2.0.0');
    const status = e.status(config);
    expect(status).toMatchObject({
      agent: { running: true },
      installedRecipe: { id: String(recipeId), name: 'e2e-fleet', version: '2.0.0' },
      update: null,
      lastResult: { finished: 'success' },
    });
  }, 90_000);

  it('a recipe whose signature does not verify with a trusted key is rejected: nothing downloaded or installed', async () => {
    const before = new Set((await e.actions()).map((a) => String(a.id)));
    await e.release({ version: '3.0.0', image: image('3.0.0'), signer: 'rogue' });
    const action = await e.waitForAction((a) => !before.has(String(a.id)) && a.status !== 'open');
    expect(action.result).toBe('failure');
    const last = action.feedback.at(-1);
    expect(last?.status?.execution).toBe('rejected');
    expect(last?.status?.details?.join(' ')).toMatch(/^signature: /);
    expect(action.feedback.some((f) => f.phase === 'downloading')).toBe(false);
    expect(sha256(e.installed())).toBe(sha256(v2));
  }, 90_000);

  it('a recipe that no longer matches the live system is rejected with the match reason', async () => {
    // the server matched the report it has; the gateway then gains a module the recipe does not cover
    await e.agent?.stop();
    const before = new Set((await e.actions()).map((a) => String(a.id)));
    await e.release({ version: '4.0.0', image: image('4.0.0') });
    await e.waitForAction((a) => !before.has(String(a.id)));
    const changed = e.agentConfig({
      local: [{ name: 'app', handler: 'dummy', attributes: { 'module-id': 'app' } }],
    });
    e.startAgent(changed);
    const action = await e.waitForAction((a) => !before.has(String(a.id)) && a.status !== 'open');
    expect(action.result).toBe('failure');
    const last = action.feedback.at(-1);
    expect(last?.status?.execution).toBe('rejected');
    expect(last?.status?.details).toContain('match: unmatched module app');
    expect(sha256(e.installed())).toBe(sha256(v2));
    expect(e.status(changed)).toMatchObject({ lastResult: { finished: 'rejected' } });
  }, 90_000);
});
