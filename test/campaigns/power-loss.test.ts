/**
 * Campaign "power loss": SIGKILL of the agent at a random instant of an update (seeded), in some runs
 * with a simulated module rebooting on its own at a random request too, then a restart of the agent.
 * Every run must end all-new, or all-old when the kill came before the first non-revertible module
 * (the brake) was touched; the gateway file holds exactly the new or the old bytes; the system report
 * agrees; server-lite records each feedbackId once and one closing feedback. Runs are tallied by the
 * phase the kill hit (the last phase server-lite had recorded when the agent died).
 *
 * CI runs CAMPAIGN_RUNS=3 (default); `bash scripts/campaigns.sh power-loss` runs 200.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../helpers/prng.js';
import { CAMPAIGN_SEED, campaignRuns, type RunOutcome, runCampaign } from './report.js';
import {
  BRAKE,
  checkInstalled,
  classify,
  describeStates,
  duplicateFeedbackIds,
  expectedVersions,
  Rig,
  reasons,
  sha256,
  sleep,
} from './rig.js';

const RUNS = campaignRuns(3);
/** Kills land uniformly within this many ms of the agent's start (an update takes a few seconds). */
const KILL_WINDOW_MS = Number(process.env.KILL_WINDOW_MS ?? 5000);

describe('campaign: power loss (SIGKILL of the agent at random instants)', () => {
  const rig = new Rig();

  beforeAll(async () => {
    await rig.start();
  }, 60_000);
  afterAll(async () => {
    await rig.stop();
  });

  async function run(i: number): Promise<RunOutcome> {
    const rnd = prng(CAMPAIGN_SEED * 1000 + i);
    const reboot = rnd.int(3) === 0 ? (rnd.int(2) === 0 ? 'display' : 'brake') : null;
    const sim = await rig.simulator(
      reboot === 'display' ? [{ type: 'reboot', atRequest: 2 + rnd.int(20) }] : [],
      reboot === 'brake' ? [{ type: 'reboot', atRequest: 2 + rnd.int(20) }] : [],
    );
    try {
      const images = rig.images(i);
      const gatewayBefore = sha256(rig.gatewayBytes());
      const before = await rig.actionIds();
      await rig.releaseImages(images);
      const config = rig.campaignAgentConfig(sim.dev);
      const agent = rig.startAgent(config);
      const killAfter = rnd.int(KILL_WINDOW_MS);
      await sleep(killAfter);
      await agent.kill();
      const atKill = (await rig.actions()).find((a) => !before.has(String(a.id)));
      const phase =
        atKill === undefined
          ? 'before-action'
          : atKill.status !== 'open'
            ? 'after-close'
            : (atKill.feedback.at(-1)?.phase ?? 'no-feedback');
      const tag = `${phase}${reboot ? `+${reboot}-reboot` : ''}`;
      const brakeTouched =
        atKill?.feedback.some((f) =>
          (f.modules ?? []).some((m) => m.module === BRAKE && m.state !== 'pending'),
        ) ?? false;
      rig.startAgent(config);
      const open = atKill ?? (await rig.newAction(before, 60_000));
      if (open === undefined) return { run: i, tag, ok: false, note: 'no action after the restart' };
      const done = await rig.closed(open.id, 120_000);
      if (done === undefined)
        return {
          run: i,
          tag,
          ok: false,
          note: `action ${open.id} still open after 120 s (logs: ${rig.logs})`,
        };
      const state = classify(done);
      const dup = duplicateFeedbackIds(done);
      const closing = done.feedback.filter((f) => f.status?.execution === 'closed').length;
      const fail = (note: string) => ({ run: i, tag, ok: false, note: `${note} (kill at ${killAfter} ms)` });
      if (dup.length > 0) return fail(`feedbackId recorded twice: ${dup.join(', ')}`);
      if (closing !== 1) return fail(`${closing} closing feedbacks`);
      if (state === 'mixed' || state === 'brake-failed')
        return fail(`ended ${state}: ${describeStates(done)}`);
      if (state === 'untouched') return fail(`failed after the restart: ${reasons(done)}`);
      if (state === 'all-old' && brakeTouched) return fail('all-old although the brake had been touched');
      const wrong = await checkInstalled(rig, state, images, gatewayBefore, expectedVersions(state, images));
      if (wrong) return fail(wrong);
      return { run: i, tag, ok: true, note: state };
    } finally {
      await rig.stopAgent();
      await sim.stop();
    }
  }

  it(
    `${RUNS} runs: each ends all-new or all-old, each feedbackId once (seed ${CAMPAIGN_SEED})`,
    async () => {
      const failed = await runCampaign('power-loss', RUNS, run);
      expect(failed).toEqual([]);
    },
    RUNS * 240_000,
  );
});
