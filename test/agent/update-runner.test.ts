/**
 * The update runner (with the machine, handlers and outbox) against a fake Install API on 127.0.0.1,
 * with real keys and signatures, real files and a real SQLite state. Crashes are simulated by aborting
 * the run loop inside a step and starting a new runner on the same state file.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PENDING_CONSENT } from '../../src/agent/steps/consent.js';
import { performStep } from '../../src/agent/steps/perform.js';
import { UpdateRunner } from '../../src/agent/update-runner.js';
import { createDummyHandler } from '../../src/handlers/dummy.js';
import type { Handler } from '../../src/handlers/types.js';
import { ManualClock } from '../../src/lib/clock.js';
import { SoupError } from '../../src/lib/errors.js';
import { sha256 } from './fake-backend.js';

import { BASE_PATH as BASE, final, gatewayImage, rig } from './update-rig.js';

describe('update runner: SOUP system update against a fake Install API', () => {
  it('installs a signed recipe end to end: success, bytes in place, feedback in order and once', async () => {
    const r = await rig();
    const bytes = randomBytes(300_000);
    await r.publish([gatewayImage(bytes)]);
    const runner = r.runner();
    r.start(runner);
    expect(await runner.advance(new AbortController().signal)).toEqual({ finished: true });
    await r.flush();
    expect(readFileSync(r.target).equals(bytes)).toBe(true);
    expect(r.store.get('installed.gateway')).toBe('2.0.0');
    expect(r.store.get('installedRecipe')).toEqual({ id: '42', name: 'fleet-A', version: '2.1.0' });
    expect(r.store.get('lastResult')).toMatchObject({ actionId: '17', finished: 'success', details: [] });
    expect(r.store.loadAction()).toBeUndefined();
    const fb = r.backend.feedback;
    expect(fb.map((f) => f.phase)).toEqual([
      'fetching',
      'verifying',
      'matching',
      'waiting-window',
      'downloading',
      'preinstall',
      'transferring',
      'activating',
      'verifying-target',
      'transferring',
      'activating',
      'verifying-target',
      'committing',
      'postinstall',
      'reporting',
      'reporting',
    ]);
    expect(fb.find((f) => f.phase === 'preinstall')?.status.execution).toBe('downloaded');
    expect(final(r.backend).status).toMatchObject({
      execution: 'closed',
      result: { finished: 'success', progress: { cnt: 11, of: 11 } },
    });
    expect(final(r.backend).modules).toEqual([
      {
        module: 'gw',
        definition: 'gateway',
        state: 'committed',
        fromVersion: '1.0.0',
        toVersion: '2.0.0',
        progress: { cnt: 300_000, of: 300_000 },
        details: [],
      },
    ]);
    expect(new Set(fb.map((f) => f.feedbackId)).size).toBe(fb.length);
    // the new system report shows the installed version
    expect(r.backend.reports.at(-1)?.modules[0]?.attributes.swVersion).toBe('2.0.0');
  });

  it('a bad signature is rejected with the reason; nothing downloaded or installed', async () => {
    const r = await rig();
    await r.publish([gatewayImage(randomBytes(1000))], { badSignature: true });
    const runner = r.runner();
    r.start(runner);
    await runner.advance(new AbortController().signal);
    await r.flush();
    expect(final(r.backend).status.execution).toBe('rejected');
    expect(final(r.backend).status.result.finished).toBe('failure');
    expect(final(r.backend).status.details?.join(' ')).toMatch(/^signature: /);
    expect(r.backend.requests.some((q) => q.includes('/artifacts/'))).toBe(false);
    expect(readFileSync(r.target, 'utf8')).toBe('old image');
  });

  it('a recipe that does not match the live inventory is rejected with the match reasons', async () => {
    const r = await rig();
    await r.publish([{ ...gatewayImage(randomBytes(1000)), match: { 'module-id': 'other' } }]);
    const runner = r.runner();
    r.start(runner);
    await runner.advance(new AbortController().signal);
    await r.flush();
    expect(final(r.backend).status.execution).toBe('rejected');
    expect(final(r.backend).status.details).toContain('match: unmatched module gateway');
    expect(r.backend.requests.some((q) => q.includes('/artifacts/'))).toBe(false);
    expect(readFileSync(r.target, 'utf8')).toBe('old image');
  });

  it('an image type that differs from the module handler, or has no handler, refuses before download', async () => {
    const r = await rig();
    await r.publish([gatewayImage(randomBytes(1000), 'raw')]);
    const runner = r.runner();
    r.start(runner);
    await runner.advance(new AbortController().signal);
    await r.flush();
    expect(final(r.backend).status.details).toEqual([
      'module gateway: configured handler rawfile differs from image type raw',
    ]);
    expect(r.backend.requests.some((q) => q.includes('/artifacts/'))).toBe(false);
  });

  it('a module already at target is skipped', async () => {
    const r = await rig();
    await r.publish([{ ...gatewayImage(randomBytes(1000)), version: '1.0.0' }]);
    const runner = r.runner();
    r.start(runner);
    await runner.advance(new AbortController().signal);
    await r.flush();
    expect(final(r.backend).status.result.finished).toBe('success');
    expect(final(r.backend).modules?.[0]?.state).toBe('skipped');
    expect(readFileSync(r.target, 'utf8')).toBe('old image');
  });

  it('scripts: preinstall runs before any module is touched; a failing one ends the action, nothing installed', async () => {
    const r = await rig();
    const marker = join(r.dir, 'pre-ran');
    await r.publish([gatewayImage(randomBytes(1000))], {
      scripts: [
        { id: '901', type: 'preinstall', bytes: Buffer.from(`echo "$SOUP_RECIPE_ID" > ${marker}\nexit 3\n`) },
      ],
    });
    const runner = r.runner();
    r.start(runner);
    await runner.advance(new AbortController().signal);
    await r.flush();
    expect(readFileSync(marker, 'utf8').trim()).toBe('42');
    expect(final(r.backend).status).toMatchObject({ execution: 'closed', result: { finished: 'failure' } });
    expect(final(r.backend).status.details?.[0]).toMatch(/preinstall: script .* exited with code 3/);
    expect(readFileSync(r.target, 'utf8')).toBe('old image');
  });
});

describe('update runner: consent and maintenance window', () => {
  it('consent asked (handling.update = attempt): waits, then a denial rejects the action', async () => {
    const r = await rig();
    await r.publish([gatewayImage(randomBytes(1000))], {
      handling: { download: 'forced', update: 'attempt' },
    });
    const runner = r.runner();
    r.start(runner);
    const first = await runner.advance(new AbortController().signal);
    expect(first.finished).toBe(false);
    expect(first.waitMs).toBeGreaterThan(0);
    expect(r.store.get(PENDING_CONSENT)).toMatchObject({ actionId: '17', recipe: { id: '42' } });
    r.store.saveConsent({ actionId: '17', decision: 'deny', by: 'alice', at: 0 });
    expect(await runner.advance(new AbortController().signal)).toEqual({ finished: true });
    await r.flush();
    expect(final(r.backend).status.execution).toBe('rejected');
    expect(final(r.backend).status.details).toEqual(['consent denied by alice']);
    expect(r.store.get(PENDING_CONSENT)).toBeUndefined();
    expect(readFileSync(r.target, 'utf8')).toBe('old image');
  });

  it('consent always: an answer given later lets the update proceed', async () => {
    const r = await rig({ consent: 'always' });
    const bytes = randomBytes(2000);
    await r.publish([gatewayImage(bytes)]);
    const runner = r.runner();
    r.start(runner);
    expect((await runner.advance(new AbortController().signal)).finished).toBe(false);
    expect(readFileSync(r.target, 'utf8')).toBe('old image');
    r.store.saveConsent({ actionId: '17', decision: 'accept', by: 'bob', at: 0 });
    expect((await runner.advance(new AbortController().signal)).finished).toBe(true);
    expect(readFileSync(r.target).equals(bytes)).toBe(true);
  });

  it('maintenance window: waits until nextStartAt, proceeds inside the window', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 22, 1, 0, 0));
    const r = await rig({ clock });
    const bytes = randomBytes(2000);
    await r.publish([gatewayImage(bytes)], {
      window: { nextStartAt: Date.UTC(2026, 10, 22, 2, 0, 0), duration: '02:00:00' },
    });
    const runner = r.runner();
    r.start(runner);
    const waiting = await runner.advance(new AbortController().signal);
    expect(waiting.finished).toBe(false);
    expect(waiting.waitMs).toBeLessThanOrEqual(3_600_000);
    expect(r.store.loadAction<{ step: string }, unknown>()?.state.step).toBe('waiting-window');
    clock.advance(3_600_000 + 1000);
    expect((await runner.advance(new AbortController().signal)).finished).toBe(true);
    expect(readFileSync(r.target).equals(bytes)).toBe(true);
  });
});

/** A handler that behaves like rawfile but can be told to fail or to "crash" (abort the run loop) at a stage. */
function scripted(
  base: Handler,
  plan: { crashAt?: string; failAt?: string; abort?: AbortController },
): () => Handler {
  const hook = (stage: string) => {
    if (plan.crashAt === stage) {
      plan.crashAt = undefined;
      plan.abort?.abort();
      throw new SoupError('SOUP_E_CANCELLED', `crash in ${stage}`);
    }
    if (plan.failAt === stage) throw new SoupError('SOUP_E_MODULE', `${stage} failed on purpose`);
  };
  return () => ({
    ...base,
    type: 'scripted',
    transfer: async (j, c) => {
      await base.transfer(j, c);
      hook('transfer');
    },
    activate: async (j, c) => {
      hook('activate');
      await base.activate(j, c);
    },
    verify: async (j, c) => {
      hook('verify');
      await base.verify(j, c);
    },
    commit: async (j, c) => {
      hook('commit');
      await base.commit(j, c);
    },
  });
}

describe('update runner: failures, revert, roll forward, crash recovery', () => {
  it('a failure before the point of no return reverts every revertible module', async () => {
    const { createRawfileHandler } = await import('../../src/handlers/rawfile.js');
    const plan = { failAt: 'verify' };
    let r = await rig();
    const target2 = join(r.dir, 'app.img');
    await r.backend.close();
    r = await rig({
      local: [
        {
          name: 'gateway',
          gateway: true,
          handler: 'rawfile',
          target: r.target,
          attributes: { 'module-id': 'gw', swVersion: '1.0.0' },
        },
        {
          name: 'app',
          handler: 'scripted',
          target: target2,
          attributes: { 'module-id': 'app', swVersion: '1.0.0' },
        },
      ],
      handlers: { scripted: scripted(createRawfileHandler(), plan) },
    });
    writeFileSync(target2, 'old app');
    await r.publish([
      gatewayImage(randomBytes(1000)),
      {
        module: 'app',
        match: { 'module-id': 'app' },
        type: 'scripted',
        version: '2.0.0',
        bytes: randomBytes(500),
        artifactId: '904',
      },
    ]);
    const runner = r.runner();
    r.start(runner);
    await runner.advance(new AbortController().signal);
    await r.flush();
    const f = final(r.backend);
    expect(f.status).toMatchObject({ execution: 'closed', result: { finished: 'failure' } });
    expect(Object.fromEntries((f.modules ?? []).map((m) => [m.definition, m.state]))).toEqual({
      gateway: 'reverted',
      app: 'reverted',
    });
    expect(readFileSync(r.target, 'utf8')).toBe('old image');
    expect(readFileSync(target2, 'utf8')).toBe('old app');
    expect(existsSync(`${r.target}.soup-new`)).toBe(false);
  });

  it('a non-revertible module failing after the point of no return: revertible ones committed, the feedback names each end state', async () => {
    const { createRawHandler } = await import('../../src/handlers/raw.js');
    const first = await rig();
    const part = join(first.dir, 'partition');
    await first.backend.close();
    const plan = { failAt: 'verify' };
    const r = await rig({
      local: [
        {
          name: 'gateway',
          gateway: true,
          handler: 'rawfile',
          target: first.target,
          attributes: { 'module-id': 'gw', swVersion: '1.0.0' },
        },
        {
          name: 'boot',
          handler: 'scripted',
          target: part,
          attributes: { 'module-id': 'boot', swVersion: '1.0.0' },
        },
      ],
      handlers: { scripted: scripted(createRawHandler(), plan) },
    });
    const gw = randomBytes(1000);
    await r.publish([
      gatewayImage(gw),
      {
        module: 'boot',
        match: { 'module-id': 'boot' },
        type: 'scripted',
        version: '2.0.0',
        bytes: randomBytes(700),
        artifactId: '905',
      },
    ]);
    const runner = r.runner();
    r.start(runner);
    await runner.advance(new AbortController().signal);
    await r.flush();
    const f = final(r.backend);
    expect(f.status).toMatchObject({ execution: 'closed', result: { finished: 'failure' } });
    expect(Object.fromEntries((f.modules ?? []).map((m) => [m.definition, m.state]))).toEqual({
      gateway: 'committed',
      boot: 'failed',
    });
    expect(readFileSync(first.target).equals(gw)).toBe(true);
    expect(r.backend.feedback.some((x) => x.phase === 'reverting')).toBe(false);
  });

  for (const crashAt of ['transfer', 'activate', 'verify', 'commit']) {
    it(`a crash in ${crashAt}: a new start resumes and completes, each feedbackId recorded once`, async () => {
      const { createRawfileHandler } = await import('../../src/handlers/rawfile.js');
      const abort = new AbortController();
      const plan: { crashAt?: string; abort: AbortController } = { crashAt, abort };
      const first = await rig();
      const target = first.target;
      await first.backend.close();
      const r = await rig({
        local: [
          {
            name: 'gateway',
            gateway: true,
            handler: 'scripted',
            target,
            attributes: { 'module-id': 'gw', swVersion: '1.0.0' },
          },
        ],
        handlers: { scripted: scripted(createRawfileHandler(), plan) },
      });
      const bytes = randomBytes(50_000);
      await r.publish([gatewayImage(bytes, 'scripted')]);
      const runner = r.runner();
      r.start(runner);
      expect((await runner.advance(abort.signal)).finished).toBe(false);
      await r.flush();
      const before = r.backend.feedback.length;
      // "restart": a new runner on the same state file
      const again = r.runner();
      again.recoverOnStart();
      expect(again.current?.state.step).not.toBe('fetching');
      expect((await again.advance(new AbortController().signal)).finished).toBe(true);
      await r.flush();
      expect(r.backend.feedback.length).toBeGreaterThan(before);
      expect(final(r.backend).status.result.finished).toBe('success');
      expect(readFileSync(target).equals(bytes)).toBe(true);
      const ids = r.backend.feedback.map((f) => f.feedbackId);
      expect(new Set(ids).size).toBe(ids.length);
    });
  }

  // Restarting in verifying or matching starts the checks again from fetching: the feedback of every
  // step entered again must carry the id it had before the restart, so the server records each
  // (step, attempt) once. Distinct ids alone would also hold for ids made up anew.
  for (const crashIn of ['verifying', 'matching'] as const) {
    it(`a crash in ${crashIn}: after the restart every step and attempt is reported once, under its first id`, async () => {
      const bytes = randomBytes(20_000);
      // the reference: the same action on a clean run, one feedback per step and attempt
      const clean = await rig();
      await clean.publish([gatewayImage(bytes)]);
      const cleanRunner = clean.runner();
      clean.start(cleanRunner);
      expect(await cleanRunner.advance(new AbortController().signal)).toEqual({ finished: true });
      await clean.flush();
      const cleanPhases = clean.backend.feedback.map((f) => f.phase);
      await clean.backend.close();
      const r = await rig();
      await r.publish([gatewayImage(bytes)]);
      // the "crash": the step's work never returns (the process is gone); its state stays persisted
      let frozen!: () => void;
      const reached = new Promise<void>((resolve) => {
        frozen = resolve;
      });
      const { trust, inventory } = r.deps;
      const freeze = <T>(): Promise<T> => {
        frozen();
        return new Promise<T>(() => {});
      };
      if (crashIn === 'verifying') r.deps.trust = () => freeze();
      else r.deps.inventory = () => freeze();
      const crashed = r.runner();
      r.start(crashed);
      void crashed.advance(new AbortController().signal);
      await reached;
      expect(r.store.loadAction<{ step: string }, unknown>()?.state.step).toBe(crashIn);
      await r.flush();
      const beforeRestart = r.backend.feedback.map((f) => ({ phase: f.phase, id: f.feedbackId }));
      expect(beforeRestart.map((f) => f.phase)).toEqual(cleanPhases.slice(0, beforeRestart.length));
      expect(beforeRestart.at(-1)?.phase).toBe(crashIn);
      // restart: a new runner on the same state file, the trust store and inventory working again
      r.deps.trust = trust;
      r.deps.inventory = inventory;
      const again = r.runner();
      again.recoverOnStart();
      expect(again.current?.state).toEqual({ step: 'fetching', attempt: 0 });
      expect(await again.advance(new AbortController().signal)).toEqual({ finished: true });
      await r.flush();
      expect(final(r.backend).status.result.finished).toBe('success');
      expect(readFileSync(r.target).equals(bytes)).toBe(true);
      // one feedback per step and attempt: exactly the clean run's sequence, nothing reported twice
      expect(r.backend.feedback.map((f) => f.phase)).toEqual(cleanPhases);
      // the steps reported before the restart kept their ids
      expect(
        r.backend.feedback.slice(0, beforeRestart.length).map((f) => ({ phase: f.phase, id: f.feedbackId })),
      ).toEqual(beforeRestart);
      const ids = r.backend.feedback.map((f) => f.feedbackId);
      expect(new Set(ids).size).toBe(ids.length);
    });
  }

  it('a crash loop in one step is capped: the update reverts', async () => {
    const r = await rig();
    await r.publish([gatewayImage(randomBytes(1000))]);
    const runner = r.runner();
    r.start(runner);
    // persist the action inside transfer-revertible, as if the agent died there every time
    r.store.saveAction('17', { step: 'transfer-revertible', attempt: 0 }, runner.current!.ctx, 0, true);
    for (let i = 0; i < 3; i++) r.store.countResume();
    const restarted = r.runner();
    restarted.recoverOnStart();
    expect(restarted.current?.state.step).toBe('reverting');
    await restarted.advance(new AbortController().signal);
    await r.flush();
    expect(final(r.backend).status.details?.[0]).toMatch(/restarted 4 times in step transfer-revertible/);
  });

  it('dummy handler (dry run): consumes the image, nothing written', async () => {
    const r = await rig({
      local: [
        {
          name: 'gateway',
          gateway: true,
          handler: 'dummy',
          attributes: { 'module-id': 'gw', swVersion: '1.0.0' },
        },
      ],
      handlers: { dummy: createDummyHandler },
    });
    await r.publish([gatewayImage(randomBytes(4096), 'dummy')]);
    const runner = r.runner();
    r.start(runner);
    await runner.advance(new AbortController().signal);
    await r.flush();
    expect(final(r.backend).status.result.finished).toBe('success');
    expect(readFileSync(r.target, 'utf8')).toBe('old image');
    expect(sha256(Buffer.from('x'))).toHaveLength(64);
  });

  it('cancel at a safe point: the running transfer stops, revertible modules revert, the cancel is confirmed', async () => {
    const { createRawfileHandler } = await import('../../src/handlers/rawfile.js');
    const first = await rig();
    const target = first.target;
    await first.backend.close();
    let entered: () => void = () => {};
    const inTransfer = new Promise<void>((r) => {
      entered = r;
    });
    const base = createRawfileHandler();
    const slow = (): Handler => ({
      ...base,
      type: 'slow',
      transfer: async (j, c) => {
        await base.transfer(j, c);
        entered();
        // a long transfer that stops at its next safe point when asked
        await new Promise<void>((_, reject) =>
          c.signal.addEventListener(
            'abort',
            () => reject(new SoupError('SOUP_E_CANCELLED', 'transfer interrupted')),
            { once: true },
          ),
        );
      },
    });
    const r = await rig({
      local: [
        {
          name: 'gateway',
          gateway: true,
          handler: 'slow',
          target,
          attributes: { 'module-id': 'gw', swVersion: '1.0.0' },
        },
      ],
      handlers: { slow },
    });
    await r.publish([gatewayImage(randomBytes(5000), 'slow')]);
    const runner = r.runner();
    r.start(runner);
    const done = runner.advance(new AbortController().signal);
    await inTransfer;
    expect(runner.requestCancel(`${r.backend.url}${BASE}/cancelAction/17`)).toBe('accepted');
    expect(await done).toEqual({ finished: true });
    await r.flush();
    expect(r.backend.cancelFeedback.at(-1)?.status).toMatchObject({
      execution: 'closed',
      result: { finished: 'success' },
    });
    expect(r.backend.feedback.some((f) => f.phase === 'reverting')).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('old image');
    expect(existsSync(`${target}.soup-new`)).toBe(false);
    expect(r.store.get('lastResult')).toMatchObject({ finished: 'canceled' });
  });

  it('cancel after the point of no return is refused and the update rolls forward', async () => {
    const r = await rig();
    await r.publish([gatewayImage(randomBytes(1000))]);
    const runner = r.runner();
    r.start(runner);
    r.store.saveAction('17', { step: 'transfer-forward', attempt: 0 }, runner.current!.ctx, 0, true);
    const again = r.runner();
    expect(again.requestCancel(`${r.backend.url}${BASE}/cancelAction/17`)).toBe('refused');
  });

  it('plain DDI with confirmationBase: consent asked, the answer goes to confirmation feedback, chunk installed by part', async () => {
    const r = await rig({ consent: 'whenAsked' });
    r.deps.config.ddi.parts = { os: { module: 'gateway' } };
    const bytes = randomBytes(3000);
    r.backend.ddi = { id: '9', part: 'os', version: '7.0.0', bytes, feedback: [] };
    const runner = r.runner();
    runner.start(
      'ddi',
      '9',
      `${r.backend.url}${BASE}/confirmationBase/9?c=1`,
      `${r.backend.url}${BASE}/deploymentBase/9/feedback`,
      `${r.backend.url}${BASE}/confirmationBase/9?c=1`,
    );
    expect((await runner.advance(new AbortController().signal)).finished).toBe(false);
    expect(r.store.get(PENDING_CONSENT)).toMatchObject({ actionId: '9' });
    r.store.saveConsent({ actionId: '9', decision: 'accept', by: 'dave', at: 0 });
    expect((await runner.advance(new AbortController().signal)).finished).toBe(true);
    await r.flush();
    expect(r.backend.ddi.confirmed).toBe('confirmed');
    expect(readFileSync(r.target).equals(bytes)).toBe(true);
    expect(r.store.get('installed.gateway')).toBe('7.0.0');
    const last = r.backend.ddi.feedback.at(-1);
    expect(last?.status).toMatchObject({ execution: 'closed', result: { finished: 'success' } });
    expect(r.backend.ddi.feedback.every((f) => f.feedbackId === undefined)).toBe(true);
  });
});

describe('update runner: an event a step does not allow', () => {
  it('fails the action with the reason at once: the step is not run again', async () => {
    const r = await rig();
    await r.publish([gatewayImage(randomBytes(1000))]);
    const performed: string[] = [];
    // fetching answers with an event only matching may give
    const runner = new UpdateRunner(r.deps, async (state, env) => {
      performed.push(state.step);
      return state.step === 'fetching' ? { type: 'needs-consent' } : performStep(state, env);
    });
    r.start(runner);
    expect(await runner.advance(new AbortController().signal)).toEqual({ finished: true });
    expect(performed).toEqual(['fetching', 'reporting']);
    const reason = 'fetching: event needs-consent is not allowed in this step';
    expect(r.store.get('lastResult')).toMatchObject({
      actionId: '17',
      finished: 'failure',
      details: [reason],
    });
    await r.flush();
    expect(final(r.backend).status).toMatchObject({
      execution: 'closed',
      result: { finished: 'failure' },
      details: [reason],
    });
  });
});
