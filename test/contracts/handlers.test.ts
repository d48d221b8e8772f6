/**
 * The handler contract (`src/handlers/types.ts`), run by every module handler — rawfile, raw, dummy,
 * smp-image (simulated SMP module over an in-memory stream), uds-flash (simulated ECU on the in-memory
 * CAN bus) — and, for what applies to a script, by the script runner:
 *
 *   - the whole image reaches the module, and progress only climbs, ending at the image size
 *   - transfer consumes the whole image or throws: a file shorter than declared never "succeeds"
 *   - repeating a step after a crash (the step done, or interrupted half-way) is harmless
 *   - revert restores the old image on a revertible handler; a non-revertible one refuses with a SoupError
 *   - cancel through the signal stops the transfer with SOUP_E_CANCELLED before the image is through
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runScript, type ScriptVariables } from '../../src/handlers/scripts.js';
import type { HandlerContext, HandlerJob } from '../../src/handlers/types.js';
import { isRetryable, isSoupError } from '../../src/lib/errors.js';
import { HANDLER_RIGS, type HandlerRig } from './handler-rigs.js';

const STEPS = ['prepare', 'transfer', 'activate', 'verify', 'commit'] as const;
/** The engine's default `update.stepAttempts`. */
const STEP_ATTEMPTS = 3;

/** Progress as a step reports it: every (cnt, of) pair, in order. */
function recorder() {
  const seen: [number, number][] = [];
  return { seen, progress: (cnt: number, of: number) => seen.push([cnt, of]) };
}

function expectClimbing(seen: [number, number][], size: number): void {
  expect(seen.length).toBeGreaterThan(0);
  for (const [i, [cnt, of]] of seen.entries()) {
    expect(of, `progress ${i}: of`).toBe(size);
    expect(cnt, `progress ${i}: cnt`).toBeLessThanOrEqual(size);
    if (i > 0) expect(cnt, `progress ${i} went back`).toBeGreaterThanOrEqual(seen[i - 1]![0]);
  }
  expect(seen.at(-1)).toEqual([size, size]);
}

/** A transfer whose signal is aborted once it is under way: at its first progress short of the end, or on the next turn of the event loop. */
async function cancelledTransfer(rig: HandlerRig, job: HandlerJob): Promise<unknown> {
  const ac = new AbortController();
  const ctx = rig.ctx({
    signal: ac.signal,
    progress: (cnt, of) => {
      if (cnt < of) ac.abort(new Error('cancel'));
    },
  });
  const running = rig.handler.transfer(job, ctx);
  setImmediate(() => ac.abort(new Error('cancel')));
  return running.then(
    () => 'completed',
    (err: unknown) => err,
  );
}

for (const [name, start] of HANDLER_RIGS) {
  describe(`handler contract: ${name}`, () => {
    let rig: HandlerRig | undefined;
    afterEach(async () => {
      await rig?.dispose();
      rig = undefined;
    });

    async function runSteps(ctx: () => HandlerContext, steps: readonly (typeof STEPS)[number][]) {
      for (const step of steps) await rig!.handler[step](rig!.job, ctx());
    }

    /** A step as the engine runs it: again on a retryable failure (at most `STEP_ATTEMPTS` times). */
    async function engineStep(run: () => Promise<void>): Promise<void> {
      for (let attempt = 1; ; attempt++) {
        try {
          return await run();
        } catch (err) {
          if (!isRetryable(err) || attempt === STEP_ATTEMPTS) throw err;
        }
      }
    }

    it('installs: the whole image reaches the module, progress climbs to the image size', async () => {
      rig = await start();
      const r = rig;
      expect(await r.state()).toBe(r.before);
      const progress = recorder();
      await r.handler.prepare(r.job, r.ctx());
      await r.handler.transfer(r.job, r.ctx({ progress: progress.progress }));
      expectClimbing(progress.seen, r.job.image.size);
      const received = await r.received();
      if (received !== undefined) expect(received).toBe(r.job.image.size);
      await runSteps(() => r.ctx(), ['activate', 'verify', 'commit']);
      expect(await r.state()).toBe(r.after);
    });

    it('consumes the whole image or throws: an image file shorter than its size fails, nothing installed', async () => {
      rig = await start();
      const r = rig;
      const short = await r.truncated();
      const install = async () => {
        await r.handler.prepare(short, r.ctx());
        await r.handler.transfer(short, r.ctx());
      };
      await expect(install()).rejects.toSatisfy((err) => isSoupError(err), 'a SoupError');
      // a revertible handler has not touched the old image; raw writes in place and rolls forward
      if (r.handler.revertible(r.job)) expect(await r.state()).toBe(r.before);
      else expect(await r.state()).not.toBe(r.after);
    });

    it('repeats every step after a crash without harm: each step twice, the end state the same', async () => {
      rig = await start();
      const r = rig;
      for (const step of STEPS) {
        await r.handler[step](r.job, r.ctx());
        const progress = recorder();
        // a crash after the step's work, before the agent persisted the next state: the step runs again
        // (right away here, so a module still rebooting from the first run may need the engine's retry)
        await engineStep(() => r.handler[step](r.job, r.ctx({ progress: progress.progress })));
        if (step === 'transfer') expectClimbing(progress.seen, r.job.image.size);
      }
      expect(await r.state()).toBe(r.after);
    });

    it('a transfer interrupted half-way is started again and completes, its progress climbing', async () => {
      rig = await start();
      const r = rig;
      await r.handler.prepare(r.job, r.ctx());
      const first = await cancelledTransfer(r, r.job);
      expect(first === 'completed' || isSoupError(first, 'SOUP_E_CANCELLED')).toBe(true);
      // the restarted agent prepares and transfers again, with the checkpoint the first run left
      await r.handler.prepare(r.job, r.ctx());
      const progress = recorder();
      await r.handler.transfer(r.job, r.ctx({ progress: progress.progress }));
      expectClimbing(progress.seen, r.job.image.size);
      const received = await r.received();
      if (received !== undefined) expect(received).toBeGreaterThanOrEqual(r.job.image.size);
      await runSteps(() => r.ctx(), ['activate', 'verify', 'commit']);
      expect(await r.state()).toBe(r.after);
    });

    it('cancel through the signal stops the transfer with SOUP_E_CANCELLED before the image is through', async () => {
      rig = await start();
      await rig.handler.prepare(rig.job, rig.ctx());
      const outcome = await cancelledTransfer(rig, rig.job);
      expect(outcome).toSatisfy((err) => isSoupError(err, 'SOUP_E_CANCELLED'), 'SOUP_E_CANCELLED');
      const received = await rig.received();
      if (received !== undefined) expect(received).toBeLessThan(rig.job.image.size);
      expect(await rig.state()).toBe(rig.before);
    });

    it('revert: a revertible handler restores the old image (twice is harmless), a non-revertible one refuses', async () => {
      rig = await start();
      const r = rig;
      if (r.handler.revertible(r.job)) {
        await runSteps(() => r.ctx(), ['prepare', 'transfer', 'activate', 'verify']);
        await r.handler.revert(r.job, r.ctx());
        expect(await r.state()).toBe(r.before);
        await r.handler.revert(r.job, r.ctx());
        expect(await r.state()).toBe(r.before);
      } else {
        await r.handler.prepare(r.job, r.ctx());
        await expect(r.handler.revert(r.job, r.ctx())).rejects.toSatisfy(
          (err) => isSoupError(err) && /revert|one flash bank/.test((err as Error).message),
          'a SoupError saying it cannot revert',
        );
        expect(await r.state()).toBe(r.before);
      }
    });
  });
}

describe('handler contract: scripts (runScript), what applies to a script', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  /** The action's variables a script gets (scripts.ts); their values do not matter here. */
  const vars = (dir: string): ScriptVariables => ({
    SOUP_ACTION_ID: '17',
    SOUP_RECIPE_ID: '42',
    SOUP_RECIPE_VERSION: '2.0.0',
    SOUP_PHASE: 'preinstall',
    SOUP_DATA_DIR: dir,
    SOUP_ARTIFACTS_DIR: dir,
  });
  function script(body: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'soup-contract-script-'));
    dirs.push(dir);
    const path = join(dir, 'hook.sh');
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  }

  it('consumes the whole output stream: every line, in order, before it resolves', async () => {
    const path = script(
      'i=1; while [ $i -le 20000 ]; do echo "line $i"; i=$((i+1)); done; echo "to stderr" >&2',
    );
    const lines: string[] = [];
    await runScript({
      path,
      args: [],
      env: vars(dirname(path)),
      timeoutMs: 60_000,
      onOutput: (l) => lines.push(l),
    });
    const stdout = lines.filter((l) => l.startsWith('line '));
    expect(stdout).toHaveLength(20_000);
    expect(stdout.every((l, i) => l === `line ${i + 1}`)).toBe(true);
    expect(lines).toContain('to stderr');
  });

  it('cancel through the signal stops a script that would run for ten minutes, with SOUP_E_CANCELLED', async () => {
    const path = script('echo started; exec sleep 600');
    const ac = new AbortController();
    const run = runScript({
      path,
      args: [],
      env: vars(dirname(path)),
      timeoutMs: 600_000,
      signal: ac.signal,
      onOutput: (line) => {
        if (line === 'started') ac.abort(new Error('cancel'));
      },
    });
    await expect(run).rejects.toSatisfy((err) => isSoupError(err, 'SOUP_E_CANCELLED'), 'SOUP_E_CANCELLED');
  });

  it('runs again after an interrupted run: the same script, the same arguments, to completion', async () => {
    const path = script(
      'echo "run $1" >> "$(dirname "$0")/runs.log"; [ -f "$(dirname "$0")/go" ] || exec sleep 600',
    );
    const ac = new AbortController();
    const first = runScript({
      path,
      args: ['preinst'],
      env: vars(dirname(path)),
      timeoutMs: 600_000,
      signal: ac.signal,
    });
    setImmediate(() => ac.abort(new Error('crash')));
    await expect(first).rejects.toSatisfy((err) => isSoupError(err, 'SOUP_E_CANCELLED'), 'SOUP_E_CANCELLED');
    writeFileSync(join(path, '..', 'go'), '');
    await runScript({ path, args: ['preinst'], env: vars(dirname(path)), timeoutMs: 60_000 });
  });
});
