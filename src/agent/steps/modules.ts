/**
 * Steps 8–10 on the modules: transfer, activate, verify (revertible modules first, then the forward
 * ones), commit, revert. Each module's state is persisted when it changes, so after a restart a step
 * skips the modules already past it and repeats only the module it was working on (handlers are
 * idempotent). Modules on different buses run in parallel, one module per bus at a time.
 */
import type { HandlerJob } from '../../handlers/types.js';
import { findModule } from '../../inventory/modules.js';
import { isRetryable, isSoupError, oneLine, SoupError } from '../../lib/errors.js';
import type { ModuleState } from '../../recipe/status.js';
import type { PlannedModule } from '../action.js';
import type { StepEnv } from './env.js';

export type Stage = 'transfer' | 'activate' | 'verify';

/** For each stage: the states a module may be in to do it, its state while doing it, and after. */
const STAGES: Record<Stage, { from: ModuleState[]; during: ModuleState; to: ModuleState }> = {
  transfer: { from: ['pending', 'transferring'], during: 'transferring', to: 'transferred' },
  activate: { from: ['transferred'], during: 'transferred', to: 'activated' },
  verify: { from: ['activated'], during: 'activated', to: 'verified' },
};

function jobOf(env: StepEnv, m: PlannedModule): HandlerJob {
  const config = findModule(env.config.modules, m.name)?.config;
  if (config === undefined || m.image === undefined) {
    throw new SoupError('SOUP_E_STATE', `module ${m.name}: no configuration or image for it any more`);
  }
  return {
    actionId: env.ctx.actionId,
    module: { id: m.id, name: m.name, attributes: m.attributes ?? {}, config },
    image: { path: m.image.path, filename: m.image.filename, size: m.image.size, sha256: m.image.sha256 },
    version: m.toVersion ?? '',
    artifacts: m.artifacts.map((a) => ({
      path: a.path,
      filename: a.filename,
      size: a.size,
      sha256: a.sha256,
    })),
    ...(m.fromVersion === undefined ? {} : { fromVersion: m.fromVersion }),
  };
}

function handlerCtx(env: StepEnv, m: PlannedModule) {
  let lastSave = 0;
  return {
    log: env.log.child({ module: m.name, handler: m.handler }),
    signal: env.signal,
    clock: env.clock,
    links: env.links,
    dataDir: env.config.dataDir,
    checkpoint: {
      load: <T>() => env.store.loadCheckpoint<T>(env.ctx.actionId, m.id),
      save: <T>(value: T) => env.store.saveCheckpoint(env.ctx.actionId, m.id, value),
    },
    progress: (cnt: number, of: number) => {
      m.progress = { cnt, of };
      const now = env.clock.now();
      if (now - lastSave >= 1000 || cnt === of) {
        lastSave = now;
        env.save();
      }
    },
  };
}

/** Runs `work` for each module, buses in parallel, one module per bus at a time; throws the first failure. */
async function perBus(modules: PlannedModule[], work: (m: PlannedModule) => Promise<void>): Promise<void> {
  const buses = new Map<string, PlannedModule[]>();
  for (const m of modules) buses.set(m.bus, [...(buses.get(m.bus) ?? []), m]);
  const results = await Promise.allSettled(
    [...buses.values()].map(async (queue) => {
      for (const m of queue) await work(m);
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

export async function runStage(env: StepEnv, stage: Stage, revertible: boolean): Promise<void> {
  const spec = STAGES[stage];
  const modules = env.ctx.modules.filter(
    (m) => m.action === 'update' && m.revertible === revertible && spec.from.includes(m.state),
  );
  await perBus(modules, async (m) => {
    const handler = env.registry.get(m.handler ?? '');
    const job = jobOf(env, m);
    const ctx = handlerCtx(env, m);
    m.state = spec.during;
    env.save();
    try {
      switch (stage) {
        case 'transfer':
          await handler.prepare(job, ctx);
          await handler.transfer(job, ctx);
          break;
        case 'activate':
          await handler.activate(job, ctx);
          break;
        case 'verify':
          await handler.verify(job, ctx);
          break;
        default: {
          const never: never = stage;
          throw never;
        }
      }
    } catch (err) {
      if (!isSoupError(err, 'SOUP_E_CANCELLED')) {
        m.details = [...m.details, `${stage}: ${oneLine(err)}`];
        env.save();
      }
      throw err;
    }
    m.state = spec.to;
    env.log.info({ module: m.name, state: m.state }, `${stage} done`);
    env.save();
  });
}

/**
 * Commits every verified module; local modules record the version now installed (reported as their
 * swVersion). On the roll-forward path, forward modules that did not reach `verified` end `failed`.
 */
export async function commitAll(env: StepEnv, failure: string[]): Promise<void> {
  const { ctx, store } = env;
  if (failure.length > 0) {
    for (const m of ctx.modules) {
      if (m.action === 'update' && !m.revertible && m.state !== 'verified' && m.state !== 'committed')
        m.state = 'failed';
    }
    env.save();
  }
  const modules = ctx.modules.filter((m) => m.action === 'update' && m.state === 'verified');
  await perBus(modules, async (m) => {
    const handler = env.registry.get(m.handler ?? '');
    await handler.commit(jobOf(env, m), handlerCtx(env, m));
    store.atomically(() => {
      m.state = 'committed';
      if (findModule(env.config.modules, m.name)?.config?.kind === 'local' && m.toVersion !== undefined) {
        store.set(`installed.${m.name}`, m.toVersion);
      }
      env.save();
    });
  });
}

const TOUCHED: ModuleState[] = ['transferring', 'transferred', 'activated', 'verified', 'failed'];

/**
 * Reverts every revertible module that was touched; a module whose revert fails ends `revert-failed`.
 * When every failure was retryable (the module's link gone for a moment, a timeout) the step fails
 * retryable, and its next attempt reverts the `revert-failed` modules again.
 */
export async function revertAll(env: StepEnv): Promise<void> {
  const modules = env.ctx.modules.filter(
    (m) =>
      m.action === 'update' && m.revertible && (TOUCHED.includes(m.state) || m.state === 'revert-failed'),
  );
  const failures: string[] = [];
  let retryable = true;
  await perBus(modules, async (m) => {
    const handler = env.registry.get(m.handler ?? '');
    try {
      await handler.revert(jobOf(env, m), handlerCtx(env, m));
      m.state = 'reverted';
    } catch (err) {
      if (isSoupError(err, 'SOUP_E_CANCELLED')) throw err;
      m.state = 'revert-failed';
      m.details = [...m.details, `revert: ${oneLine(err)}`];
      failures.push(`${m.name}: ${oneLine(err)}`);
      retryable &&= isRetryable(err);
    }
    env.save();
  });
  if (failures.length > 0)
    throw new SoupError('SOUP_E_REVERT', `revert failed for ${failures.join('; ')}`, { retryable });
}

/** Modules never touched by a failed or cancelled update stay as they are, reported as such. */
export function markUntouched(env: StepEnv): void {
  for (const m of env.ctx.modules) {
    if (m.action === 'update' && (m.state === 'pending' || m.state === 'downloading')) m.state = 'pending';
  }
}
