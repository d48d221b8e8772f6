/**
 * Campaign "bad modules": every fault the simulators can inject (`src/simulate/smp/faults.ts`,
 * `src/simulate/uds/faults.ts`), at a random offset of the image transfer, with random counts and
 * durations. The display (SMP, two slots) is revertible; the brake (UDS, single bank) is the point of
 * no return. Each run must end:
 *   all-new       the fault was ridden out (retry, resume);
 *   all-old       a display fault failed the update: every revertible module reverted, the brake
 *                 untouched, and the feedback names the display and a reason;
 *   brake-failed  a brake fault failed the update after the point of no return: the revertible modules
 *                 committed (rolled forward), the brake failed, and its feedback gives the reason.
 *
 * CI runs CAMPAIGN_RUNS=3 (default; the faults taken in turn from the seed on); `bash scripts/campaigns.sh bad-modules` runs every fault 3 times.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../helpers/prng.js';
import { CAMPAIGN_SEED, campaignRuns, type RunOutcome, runCampaign } from './report.js';
import {
  BRAKE,
  checkInstalled,
  classify,
  DISPLAY,
  describeStates,
  duplicateFeedbackIds,
  type EndState,
  expectedVersions,
  Rig,
  reasons,
  sha256,
} from './rig.js';

const SMP_FAULTS = ['drop-frame', 'corrupt-frame', 'stall', 'disconnect', 'reboot', 'refuse-boot'] as const;
const UDS_FAULTS = [...SMP_FAULTS, 'nrc'] as const;
const ALL_FAULTS = [
  ...SMP_FAULTS.map((type) => ({ module: 'display' as const, type })),
  ...UDS_FAULTS.map((type) => ({ module: 'brake' as const, type })),
];
const RUNS = campaignRuns(3);
/** The display's MCUboot image and the brake's image are a little over 8 KiB. */
const IMAGE_BYTES = 8 * 1024;
const NRCS = [0x22, 0x31, 0x72, 0x78, 0x24];

describe('campaign: bad modules (every simulator fault at random offsets)', () => {
  const rig = new Rig();

  beforeAll(async () => {
    await rig.start();
  }, 60_000);
  afterAll(async () => {
    await rig.stop();
  });

  async function run(i: number): Promise<RunOutcome> {
    const rnd = prng(CAMPAIGN_SEED * 1000 + i);
    const { module, type } = ALL_FAULTS[(CAMPAIGN_SEED + i) % ALL_FAULTS.length]!;
    const fault: Record<string, unknown> = {
      type,
      atOffset: rnd.int(IMAGE_BYTES),
      count: 1 + rnd.int(3),
    };
    if (type === 'stall') fault.durationMs = 200 + rnd.int(2800);
    if (type === 'disconnect') fault.durationMs = 200 + rnd.int(1800);
    if (type === 'nrc') {
      fault.nrc = NRCS[rnd.int(NRCS.length)];
      if (rnd.int(3) === 0) fault.count = 1000; // refused for good
    }
    if (type === 'refuse-boot') {
      // a boot refusal is about the boot after the transfer, not an offset in it
      delete fault.atOffset;
      fault.count = rnd.int(2) === 0 ? 1 : 10;
    }
    const tag = `${module}:${type}`;
    const sim = await rig.simulator(module === 'display' ? [fault] : [], module === 'brake' ? [fault] : []);
    const fail = (note: string) => ({
      run: i,
      tag,
      ok: false,
      note: `${note} (fault ${JSON.stringify(fault)})`,
    });
    try {
      const images = rig.images(i);
      const gatewayBefore = sha256(rig.gatewayBytes());
      const before = await rig.actionIds();
      await rig.releaseImages(images);
      rig.startAgent(rig.campaignAgentConfig(sim.dev));
      const open = await rig.newAction(before, 60_000);
      if (open === undefined) return fail('no action within 60 s');
      const done = await rig.closed(open.id, 180_000);
      if (done === undefined) return fail(`action ${open.id} still open after 180 s (logs: ${rig.logs})`);
      const state: EndState = classify(done);
      const dup = duplicateFeedbackIds(done);
      if (dup.length > 0) return fail(`feedbackId recorded twice: ${dup.join(', ')}`);
      const why = reasons(done);
      const allowed: EndState[] = module === 'display' ? ['all-new', 'all-old'] : ['all-new', 'brake-failed'];
      if (!allowed.includes(state)) return fail(`ended ${state}: ${describeStates(done)} ${why}`);
      if (state !== 'all-new') {
        const serial = module === 'display' ? DISPLAY : BRAKE;
        const last = done.feedback
          .filter((f) => f.channel === undefined || f.channel === 'systemUpdate')
          .at(-1);
        const entry = last?.modules?.find((m) => m.module === serial);
        const named =
          (entry?.details ?? []).some((d) => d.trim() !== '') ||
          (last?.status?.details ?? []).some((d) => d.includes(module) || d.includes(serial));
        if (!named) return fail(`the feedback does not name ${module} (${serial}) with a reason: ${why}`);
      }
      const wrong = await checkInstalled(rig, state, images, gatewayBefore, expectedVersions(state, images));
      if (wrong) return fail(wrong);
      return { run: i, tag, ok: true, note: state === 'all-new' ? state : `${state}: ${why.slice(0, 140)}` };
    } finally {
      await rig.stopAgent();
      await sim.stop();
    }
  }

  it(
    `${RUNS} runs: ridden out, or reverted / rolled forward with the module and the reason named (seed ${CAMPAIGN_SEED})`,
    async () => {
      const failed = await runCampaign('bad-modules', RUNS, run);
      expect(failed).toEqual([]);
    },
    RUNS * 300_000,
  );
});
