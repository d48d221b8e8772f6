/**
 * Maintenance window end to end: the tenant's window (Quartz cron, once a minute at a second a few
 * seconds after the action is created, 10 s long) is on the action; the agent waits in
 * `waiting-window` and downloads and installs only once the window has opened.
 *
 * Everything slow (the release with its signing, the agent's start and first report) happens before
 * the window is set: the recipe waits for approval meanwhile, so no action exists yet. The window then
 * opens a few seconds after the approval that creates the action, instead of ~25 s after the test began.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2e, image, sha256 } from './harness.js';

/**
 * From the approval to the window's start: one poll, fetching and verifying the recipe, matching
 * (~1.5 s on an idle machine). On a loaded one the lead grows with what the agent's start took, up to
 * what a once-a-minute schedule allows.
 */
const leadMs = (agentStartMs: number): number => Math.min(45_000, Math.max(5000, 3 * agentStartMs));

describe('e2e: maintenance window', () => {
  const e = new E2e();

  beforeAll(async () => {
    await e.start();
  }, 60_000);
  afterAll(async () => {
    await e.stop();
  });

  it('waits for the window, then installs inside it', async () => {
    const bytes = image('2.0.0');
    const recipe = await e.release({ version: '2.0.0', image: bytes, approve: false });
    const started = Date.now();
    e.startAgent(e.agentConfig());
    await e.waitForReport();
    const lead = leadMs(Date.now() - started);
    expect(await e.actions()).toEqual([]);
    const opensAt = Math.ceil((Date.now() + lead) / 1000) * 1000;
    const second = new Date(opensAt).getUTCSeconds();
    await e.mgmt.put('tenant/configs/soup.action.maintenanceWindow', {
      value: { schedule: `${second} * * ? * *`, duration: '00:00:10', timezone: '+00:00' },
    });
    await e.approve(recipe);
    const waiting = await e.waitForAction(
      (a) => a.feedback.some((f) => f.phase === 'waiting-window'),
      60_000,
    );
    const waitedAt = waiting.feedback.find((f) => f.phase === 'waiting-window')?.timestamp ?? Number.NaN;
    expect(waitedAt).toBeLessThan(opensAt);
    expect(e.installed().toString()).toBe('factory image');
    const done = await e.waitForAction((a) => a.status !== 'open', 90_000);
    expect(done.result).toBe('success');
    expect(sha256(e.installed())).toBe(sha256(bytes));
    const downloadingAt = done.feedback.find((f) => f.phase === 'downloading')?.timestamp ?? Number.NaN;
    expect(downloadingAt).toBeGreaterThanOrEqual(opensAt);
    expect(downloadingAt).toBeLessThan(opensAt + 10_000);
  }, 120_000);
});
