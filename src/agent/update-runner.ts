/**
 * The update runner: performs the work of each machine state (steps/perform.ts), turns its result into
 * an event, asks the pure `transition` for the next state and persists it (with the step's feedback, in
 * one transaction) before starting the next step. It never decides where to go: the table in machine.ts
 * does. An event the table does not allow in a step fails the action with that reason (never a re-run).
 *
 * On start, `recoverOnStart` applies `recover` to the persisted state (resume or revert, crash loops
 * capped by `limits.maxResumes`). A shutdown (the signal) stops between or inside steps without a
 * transition: the persisted state is where the next start resumes.
 */
import { rm } from 'node:fs/promises';
import { isSoupError, oneLine } from '../lib/errors.js';
import { type ActionContext, newContext, upgradeContext } from './action.js';
import { feedbackBody, finalStatus, progressOf } from './feedback.js';
import {
  INITIAL,
  type Outcome,
  phaseOf,
  recover,
  type Step,
  stepsDone,
  transition,
  type UpdateEvent,
} from './machine.js';
import { feedbackIdFor } from './outbox.js';
import { PENDING_CONSENT, type Waiting } from './steps/consent.js';
import { actionDir, type RunnerDeps, type StepEnv } from './steps/env.js';
import { type ActiveState, type PerformStep, performStep } from './steps/perform.js';

export type { ActiveState };

/** The step being performed now and since when (the watchdog's view of the update loop). */
export interface StepInProgress {
  actionId: string;
  step: Step;
  since: number;
}

export interface Advance {
  /** The action ended (final feedback is in the outbox). */
  finished: boolean;
  /** The action waits (consent, window): call `advance` again after this long, or when woken. */
  waitMs?: number;
}

export interface LastResult {
  actionId: string;
  finished: Outcome['result'];
  at: string;
  details: string[];
}

export class UpdateRunner {
  private state: ActiveState | undefined;
  private ctx: ActionContext | undefined;
  /** A cancel accepted but not yet applied (the step in progress is being interrupted). */
  private cancelHref: string | undefined;
  private stepAbort: AbortController | undefined;
  private running: StepInProgress | undefined;

  constructor(
    private readonly deps: RunnerDeps,
    private readonly perform: PerformStep = performStep,
  ) {
    const row = deps.store.loadAction<ActiveState, unknown>();
    if (row !== undefined) {
      this.state = row.state;
      this.ctx = upgradeContext(row.context);
    }
  }

  /** The step whose work runs now, if any. */
  get stepInProgress(): StepInProgress | undefined {
    return this.running;
  }

  get current(): { state: ActiveState; ctx: ActionContext } | undefined {
    return this.state === undefined || this.ctx === undefined
      ? undefined
      : { state: this.state, ctx: this.ctx };
  }

  /** Applies the recovery decision to the persisted action, once per start of the agent. */
  recoverOnStart(): void {
    const row = this.deps.store.loadAction<ActiveState, unknown>();
    if (row === undefined) return;
    const resumes = this.deps.store.countResume();
    const next = recover(row.state, resumes, this.deps.limits);
    this.deps.log.info(
      { actionId: row.actionId, step: row.state.step, resumes, next: next.step },
      'resuming the action found in the state',
    );
    this.ctx = upgradeContext(row.context);
    if (next.step === 'idle') {
      // only `reporting` ends here: its outcome stands, the report itself was best effort
      this.finish(
        row.state.step === 'reporting'
          ? row.state.outcome
          : { result: 'failure', details: [`the agent could not resume step ${row.state.step}`] },
      );
      return;
    }
    if (JSON.stringify(next) !== JSON.stringify(row.state)) this.enter(next);
    else this.state = row.state;
  }

  /** Starts a new action (persisted with its first feedback before anything is fetched). */
  start(
    kind: ActionContext['kind'],
    actionId: string,
    href: string,
    feedbackUrl: string,
    confirmationHref?: string,
  ): void {
    const ctx = newContext(kind, actionId, href, feedbackUrl, this.deps.clock.now());
    if (confirmationHref !== undefined) ctx.confirmationHref = confirmationHref;
    this.ctx = ctx;
    this.deps.log.info({ kind, actionId }, 'new action');
    this.enter({ ...INITIAL });
  }

  /** Starts installing an unpacked offline bundle (feedback recorded with `offline: true`). */
  startOffline(
    actionId: string,
    bundleDir: string,
    recipe: { id: string; name: string; version: string },
  ): void {
    // relative: delivered to whichever server the gateway talks to once it is online again (outbox.ts)
    const feedbackUrl = `systemUpdate/${encodeURIComponent(actionId)}/feedback`;
    const ctx = newContext('system', actionId, '', feedbackUrl, this.deps.clock.now());
    ctx.offline = { bundleDir };
    ctx.recipe = recipe;
    this.ctx = ctx;
    this.deps.log.info({ actionId, bundleDir }, 'new action from an offline bundle');
    this.enter({ ...INITIAL });
  }

  /**
   * A cancel request from the server (DDI cancelAction). Accepted while the current step allows it
   * (before the point of no return): the step in progress is interrupted at its next safe point and the
   * machine takes the cancel event. Refused after the point of no return.
   */
  requestCancel(cancelHref: string): 'accepted' | 'refused' {
    if (this.state === undefined || this.ctx === undefined) return 'refused';
    if (transition(this.state, { type: 'cancel' }, this.deps.limits) === undefined) return 'refused';
    this.cancelHref = cancelHref;
    this.stepAbort?.abort();
    return 'accepted';
  }

  /** Applies a pending cancel to the current state; false when the state no longer allows it. */
  private applyCancel(): boolean {
    const href = this.cancelHref;
    if (href === undefined || this.state === undefined || this.ctx === undefined) return false;
    this.cancelHref = undefined;
    const next = transition(this.state, { type: 'cancel' }, this.deps.limits);
    if (next === undefined || next.step === 'idle') {
      this.refuseCancel(href);
      return false;
    }
    this.ctx.cancelHref = href;
    this.deps.log.info(
      { actionId: this.ctx.actionId, from: this.state.step, to: next.step },
      'cancel accepted',
    );
    this.enter(next);
    return true;
  }

  /** Answers a cancel that came after the point of no return. */
  refuseCancelNow(href: string): void {
    if (this.ctx !== undefined) this.refuseCancel(href);
  }

  private refuseCancel(href: string): void {
    const ctx = this.ctx as ActionContext;
    const now = this.deps.clock.now();
    const feedbackId = feedbackIdFor(this.deps.config.server.controllerId, ctx.actionId, 'cancel-rejected');
    this.deps.store.enqueue({
      feedbackId,
      actionId: ctx.actionId,
      url: `${href.split('?')[0]}/feedback`,
      body: JSON.stringify({
        ...(ctx.kind === 'system' ? { feedbackId } : {}),
        timestamp: now,
        status: {
          execution: 'rejected',
          result: { finished: 'none' },
          details: ['past the point of no return: the update rolls forward'],
        },
      }),
      createdAt: now,
    });
    this.deps.log.warn({ actionId: ctx.actionId }, 'cancel refused: past the point of no return');
  }

  /** Runs steps until the action ends, waits, or the signal stops the agent. */
  async advance(signal: AbortSignal): Promise<Advance> {
    while (this.state !== undefined && this.ctx !== undefined) {
      if (signal.aborted) return { finished: false };
      if (this.cancelHref !== undefined && this.applyCancel()) continue;
      const state = this.state;
      this.stepAbort = new AbortController();
      const env = this.env(AbortSignal.any([signal, this.stepAbort.signal]));
      let result: Waiting;
      this.running = { actionId: env.ctx.actionId, step: state.step, since: this.deps.clock.now() };
      try {
        result = await this.perform(state, env);
      } catch (err) {
        if (signal.aborted) return { finished: false };
        if (this.cancelHref !== undefined && this.applyCancel()) continue;
        this.deps.log.warn({ step: state.step, attempt: state.attempt, err: oneLine(err) }, 'step failed');
        result = {
          type: 'fail',
          reason: `${state.step}: ${oneLine(err)}`,
          retryable: isSoupError(err) ? err.retryable : false,
        };
      } finally {
        this.stepAbort = undefined;
        this.running = undefined;
      }
      if (this.cancelHref !== undefined && state.step !== 'reporting' && this.applyCancel()) continue;
      if (result.type === 'wait') return { finished: false, waitMs: result.ms };
      if (state.step === 'reporting') {
        this.finish(state.outcome);
        return { finished: true };
      }
      let next = transition(state, result, this.deps.limits);
      if (next === undefined) {
        // a step that answers with an event its row does not allow would be re-run at once, forever
        const reason = `${state.step}: event ${result.type} is not allowed in this step`;
        this.deps.log.error({ step: state.step, event: result.type }, 'event not allowed in this step');
        next = transition(state, { type: 'fail', reason, retryable: false }, this.deps.limits) ?? {
          step: 'idle',
        };
        if (next.step === 'idle') {
          this.finish({ result: 'failure', details: [reason] });
          return { finished: true };
        }
      }
      if (next.step === 'idle') {
        this.finish({ result: 'failure', details: ['the action ended without a result'] });
        return { finished: true };
      }
      const retry = next.step === state.step && next.attempt > state.attempt;
      this.enter(next);
      if (retry) {
        try {
          await this.deps.clock.sleep(this.deps.config.update.retryDelayMs, signal);
        } catch {
          return { finished: false };
        }
      }
    }
    return { finished: true };
  }

  private env(signal: AbortSignal): StepEnv {
    const ctx = this.ctx as ActionContext;
    return {
      ...this.deps,
      ctx,
      signal,
      save: () => {
        if (this.state !== undefined)
          this.deps.store.saveAction(ctx.actionId, this.state, ctx, this.deps.clock.now(), false);
      },
    };
  }

  /** Persists a new state together with its progress feedback, before its work starts. */
  private enter(next: ActiveState): void {
    const ctx = this.ctx as ActionContext;
    const { store, clock, config } = this.deps;
    const key = `${next.step}#${next.attempt}`;
    const feedbackId = feedbackIdFor(config.server.controllerId, ctx.actionId, key);
    const now = clock.now();
    const execution = next.step === 'preinstall' && next.attempt === 0 ? 'downloaded' : 'proceeding';
    const details = [`${next.step}${next.attempt > 0 ? ` (attempt ${next.attempt + 1})` : ''}`];
    store.atomically(() => {
      store.saveAction(ctx.actionId, next, ctx, now, true);
      store.enqueue({
        feedbackId,
        actionId: ctx.actionId,
        url: ctx.feedbackUrl,
        body: JSON.stringify(
          feedbackBody(
            ctx,
            feedbackId,
            now,
            { execution, finished: 'none', details },
            phaseOf(next),
            progressOf(stepsDone(next)),
          ),
        ),
        createdAt: now,
      });
    });
    this.state = next;
    this.deps.onFeedback?.();
  }

  /** Final feedback, last result and installed recipe, and the end of the action: one transaction. */
  private finish(outcome: Outcome): void {
    const ctx = this.ctx as ActionContext;
    const { store, clock, config } = this.deps;
    const now = clock.now();
    const feedbackId = feedbackIdFor(config.server.controllerId, ctx.actionId, 'final');
    const status = finalStatus(ctx.kind, outcome);
    const last: LastResult = {
      actionId: ctx.actionId,
      finished: outcome.result,
      at: new Date(now).toISOString(),
      details: outcome.details,
    };
    store.atomically(() => {
      if (outcome.result === 'canceled' && ctx.cancelHref !== undefined) {
        store.enqueue({
          feedbackId,
          actionId: ctx.actionId,
          url: `${ctx.cancelHref.split('?')[0]}/feedback`,
          body: JSON.stringify({
            ...(ctx.kind === 'system' ? { feedbackId } : {}),
            timestamp: now,
            status: { execution: 'closed', result: { finished: 'success' }, details: outcome.details },
          }),
          createdAt: now,
        });
      } else {
        store.enqueue({
          feedbackId,
          actionId: ctx.actionId,
          url: ctx.feedbackUrl,
          body: JSON.stringify(feedbackBody(ctx, feedbackId, now, status, 'reporting', progressOf(11))),
          createdAt: now,
        });
      }
      if (outcome.result === 'success' && ctx.kind === 'system' && ctx.recipe !== undefined)
        store.set('installedRecipe', ctx.recipe);
      store.set('lastResult', last);
      if (store.get<{ actionId: string }>(PENDING_CONSENT)?.actionId === ctx.actionId)
        store.delete(PENDING_CONSENT);
      store.finishAction(ctx.actionId, last, now);
    });
    this.deps.log.info(
      { actionId: ctx.actionId, result: outcome.result, details: outcome.details },
      'action finished',
    );
    this.state = undefined;
    this.ctx = undefined;
    void rm(actionDir(config.dataDir, ctx.actionId), { recursive: true, force: true }).catch(() => {});
    if (ctx.offline !== undefined)
      void rm(ctx.offline.bundleDir, { recursive: true, force: true }).catch(() => {});
  }
}

export type { UpdateEvent };
