/**
 * The systemd watchdog proves the update loop alive: a real update runner whose module handler never
 * finishes its transfer (it only stops when aborted), on a manual clock. The pings go on while the step
 * is within its timeout and stop once it runs past it; they resume when no step runs.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { STEP_TIMEOUT_MS, stepTimeoutFor, Watchdog } from '../../src/agent/watchdog.js';
import { createRawfileHandler } from '../../src/handlers/rawfile.js';
import type { Handler } from '../../src/handlers/types.js';
import { ManualClock } from '../../src/lib/clock.js';
import { SoupError } from '../../src/lib/errors.js';
import { silentLogger } from '../../src/lib/log.js';
import { gatewayImage, rig } from './update-rig.js';

/** A handler whose transfer hangs (a module that stopped answering) until the step is aborted. */
function hung(entered: () => void): () => Handler {
  const base = createRawfileHandler();
  return () => ({
    ...base,
    type: 'hung',
    transfer: (_job, ctx) =>
      new Promise<void>((_, reject) => {
        entered();
        ctx.signal.addEventListener('abort', () => reject(new SoupError('SOUP_E_CANCELLED', 'stopped')), {
          once: true,
        });
      }),
  });
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function hungUpdate(clock: ManualClock) {
  let entered!: () => void;
  const inTransfer = new Promise<void>((r) => {
    entered = r;
  });
  const r = await rig({
    clock,
    local: [
      {
        name: 'gateway',
        gateway: true,
        handler: 'hung',
        target: 'unused',
        attributes: { 'module-id': 'gw' },
      },
    ],
    handlers: { hung: hung(() => entered()) },
  });
  await r.publish([gatewayImage(randomBytes(2000), 'hung')]);
  const runner = r.runner();
  r.start(runner);
  const stop = new AbortController();
  const advancing = runner.advance(stop.signal);
  await inTransfer;
  return { runner, stop, advancing };
}

describe('watchdog', () => {
  it('pings while the step is within its timeout, stops past it, pings again once no step runs', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const { runner, stop, advancing } = await hungUpdate(clock);
    let pings = 0;
    const watchdog = new Watchdog({
      notifier: { watchdog: async () => void pings++ },
      intervalMs: 10_000,
      clock,
      log: silentLogger(),
      stepInProgress: () => runner.stepInProgress,
      stepTimeoutMs: ({ step }) => (step === 'transfer-revertible' ? 60_000 : undefined),
    });
    expect(runner.stepInProgress).toMatchObject({
      actionId: '17',
      step: 'transfer-revertible',
      since: clock.now(),
    });
    expect(await watchdog.tick()).toBe('pinged');
    clock.advance(60_000);
    expect(await watchdog.tick()).toBe('pinged');
    expect(watchdog.stuck()).toBeUndefined();
    clock.advance(1);
    expect(await watchdog.tick()).toBe('withheld');
    expect(watchdog.stuck()).toMatchObject({ step: 'transfer-revertible', timeoutMs: 60_000 });
    clock.advance(3_600_000);
    expect(await watchdog.tick()).toBe('withheld');
    expect(pings).toBe(2);
    // the agent stops (systemd restarts it): no step runs any more
    stop.abort();
    expect(await advancing).toEqual({ finished: false });
    expect(runner.stepInProgress).toBeUndefined();
    expect(await watchdog.tick()).toBe('pinged');
    expect(pings).toBe(3);
  });

  it('the default timeouts: a hung transfer is not taken for a hang within hours, and is after 12 h', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const { runner, stop, advancing } = await hungUpdate(clock);
    const watchdog = new Watchdog({
      notifier: { watchdog: async () => {} },
      intervalMs: 10_000,
      clock,
      log: silentLogger(),
      stepInProgress: () => runner.stepInProgress,
    });
    clock.advance(11 * 3_600_000);
    expect(await watchdog.tick()).toBe('pinged');
    clock.advance(3_600_000 + 1);
    expect(await watchdog.tick()).toBe('withheld');
    stop.abort();
    await advancing;
  });

  it('run() checks at half the interval', async () => {
    const manual = new ManualClock(0);
    // every sleep of the watchdog, as it starts: the test moves time only once the watchdog waits
    const sleeps: number[] = [];
    let sleeping = deferred();
    const clock = {
      now: () => manual.now(),
      sleep: (ms: number, signal?: AbortSignal) => {
        sleeps.push(ms);
        const slept = manual.sleep(ms, signal);
        sleeping.resolve();
        return slept;
      },
    };
    let pinged = deferred();
    const watchdog = new Watchdog({
      notifier: { watchdog: async () => pinged.resolve() },
      intervalMs: 10_000,
      clock,
      log: silentLogger(),
      stepInProgress: () => undefined,
    });
    const stop = new AbortController();
    const running = watchdog.run(stop.signal);
    for (let i = 0; i < 3; i++) {
      await sleeping.promise;
      sleeping = deferred();
      const ping = pinged;
      manual.advance(5_000);
      await ping.promise;
      pinged = deferred();
    }
    expect(sleeps.slice(0, 3)).toEqual([5_000, 5_000, 5_000]);
    stop.abort();
    await running;
  });

  it("pre/postinstall get their scripts' budget when it exceeds the default; other steps their own", () => {
    expect(stepTimeoutFor('transfer-forward', 9, 3_600_000)).toBe(STEP_TIMEOUT_MS['transfer-forward']);
    expect(stepTimeoutFor('preinstall', 2, 300_000)).toBe(STEP_TIMEOUT_MS.preinstall);
    expect(stepTimeoutFor('postinstall', 3, 3_600_000)).toBe(3 * 3_600_000 + 600_000);
  });
});
