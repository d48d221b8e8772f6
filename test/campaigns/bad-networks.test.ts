/**
 * Campaign "bad networks": updates through a fault-injecting TCP proxy between the agent and
 * server-lite (`test/agent/net/faulty-proxy.ts`). Each run takes one fault kind — connection reset,
 * truncation, stall, bit flip, slow link — and applies it at random offsets to a random share of the
 * requests (polls, documents, artifact downloads, feedback). Every update must complete, or fail with
 * a reason in its feedback; the gateway file never holds bytes that do not hash to the old or the new
 * image; no feedbackId is recorded twice.
 *
 * CI runs CAMPAIGN_RUNS=3 (default; the kinds taken in turn from the seed on); `bash scripts/campaigns.sh bad-networks`
 * runs 100.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fault, FaultyProxy } from '../agent/net/faulty-proxy.js';
import { prng } from '../helpers/prng.js';
import { CAMPAIGN_SEED, campaignRuns, type RunOutcome, runCampaign } from './report.js';
import {
  checkInstalled,
  classify,
  describeStates,
  duplicateFeedbackIds,
  expectedVersions,
  Rig,
  reasons,
  sha256,
} from './rig.js';

const RUNS = campaignRuns(3);
const KINDS = ['reset', 'truncate', 'stall', 'flip', 'slow'] as const;
/** At most this many requests of a run get the fault (the update must have a chance to get through). */
const MAX_FAULTED = 8;

describe('campaign: bad networks (fault-injecting proxy between agent and server-lite)', () => {
  const rig = new Rig();
  let proxy: FaultyProxy;

  beforeAll(async () => {
    await rig.start();
    proxy = await FaultyProxy.start(Number(new URL(rig.url).port));
  }, 60_000);
  afterAll(async () => {
    await proxy?.close();
    await rig.stop();
  });

  async function run(i: number): Promise<RunOutcome> {
    const rnd = prng(CAMPAIGN_SEED * 1000 + i);
    const kind = KINDS[(CAMPAIGN_SEED + i) % KINDS.length]!;
    let faulted = 0;
    const policy = ({ path }: { path: string }): Fault => {
      // the gateway image is 64 KiB; documents are a few KiB at most
      const size = path.includes('/artifacts/') ? 66_000 : 3000;
      if (kind === 'slow') return { kind: 'slow', bytesPerSec: 32_768 + rnd.int(96 * 1024) };
      if (faulted >= MAX_FAULTED || rnd.next() > 0.3) return { kind: 'none' };
      faulted++;
      return kind === 'flip' ? { kind: 'flip', at: rnd.int(size) } : { kind, after: rnd.int(size) };
    };
    const sim = await rig.simulator();
    const requestsBefore = proxy.requests.length;
    try {
      const images = rig.images(i);
      const gatewayBefore = sha256(rig.gatewayBytes());
      const before = await rig.actionIds();
      await rig.releaseImages(images);
      proxy.setPolicy(policy);
      rig.startAgent(rig.campaignAgentConfig(sim.dev, proxy.url('')));
      const fail = (note: string) => ({ run: i, tag: kind, ok: false, note });
      const open = await rig.newAction(before, 120_000);
      if (open === undefined) return fail('no action within 120 s');
      const done = await rig.closed(open.id, 180_000);
      if (done === undefined) return fail(`action ${open.id} still open after 180 s (logs: ${rig.logs})`);
      proxy.setPolicy(undefined);
      const state = classify(done);
      const dup = duplicateFeedbackIds(done);
      if (dup.length > 0) return fail(`feedbackId recorded twice: ${dup.join(', ')}`);
      if (state === 'mixed' || state === 'brake-failed')
        return fail(`ended ${state}: ${describeStates(done)}`);
      if (done.result !== 'success' && reasons(done).trim() === '') return fail('failed without a reason');
      const wrong = await checkInstalled(rig, state, images, gatewayBefore, expectedVersions(state, images));
      if (wrong) return fail(wrong);
      const requests = proxy.requests.length - requestsBefore;
      const why = done.result === 'success' ? '' : `: ${reasons(done).slice(0, 120)}`;
      return {
        run: i,
        tag: kind,
        ok: true,
        note: `${state}, ${faulted} of ${requests} requests faulted${why}`,
      };
    } finally {
      proxy.setPolicy(undefined);
      await rig.stopAgent();
      await sim.stop();
    }
  }

  it(
    `${RUNS} updates: each completes or fails with a reason, no wrong bytes installed (seed ${CAMPAIGN_SEED})`,
    async () => {
      const failed = await runCampaign('bad-networks', RUNS, run);
      expect(failed).toEqual([]);
    },
    RUNS * 300_000,
  );
});
