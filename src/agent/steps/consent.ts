/**
 * Step 5, consent and maintenance window.
 *
 * Consent: the request (with release notes and licenses, downloaded first) is stored as `consent.pending`
 * where `soup-agent consent` (and the local API) find it; the answer is stored in the `consent` table.
 * On a DDI action with a confirmationBase the answer also goes to its feedback. A denial refuses the
 * action (`consent denied by <who>`). With `consent: never`, a DDI confirmation is answered automatically.
 *
 * Window: a SOUP action acts on `nextStartAt` and `duration` only; a DDI deployment on
 * `maintenanceWindow: available|unavailable` (re-read from the server while unavailable).
 */
import type { UpdateEvent } from '../machine.js';
import { downloadOffers } from './download.js';
import type { StepEnv } from './env.js';
import { parseDuration } from './fetch.js';

export type Waiting = UpdateEvent | { type: 'wait'; ms: number };

export interface ConsentRequest {
  actionId: string;
  recipe: { id: string; name: string; version: string } | null;
  releaseNotes: string[];
  licenses: string[];
  deadline?: number;
}

export const PENDING_CONSENT = 'consent.pending';

async function confirm(env: StepEnv, decision: 'accept' | 'deny', by: string): Promise<void> {
  const href = env.ctx.confirmationHref;
  if (href === undefined) return;
  const url = `${href.split('?')[0]}/feedback`;
  await env.api.postJson(
    url,
    {
      confirmation: decision === 'accept' ? 'confirmed' : 'denied',
      code: 0,
      details: [`${decision === 'accept' ? 'accepted' : 'denied'} by ${by}`],
    },
    env.signal,
  );
}

export async function waitForConsent(env: StepEnv, pollMs: number): Promise<Waiting> {
  const { ctx, store } = env;
  if (env.config.consent === 'never') {
    await confirm(env, 'accept', 'agent (consent: never)');
    return { type: 'ok' };
  }
  const answer = store.consentFor(ctx.actionId);
  if (answer === undefined) {
    if (store.get<ConsentRequest>(PENDING_CONSENT)?.actionId !== ctx.actionId) {
      await downloadOffers(env);
      const request: ConsentRequest = {
        actionId: ctx.actionId,
        recipe: ctx.recipe ?? null,
        releaseNotes: ctx.offers.filter((o) => o.type === 'releasenotes').map((o) => o.path),
        licenses: ctx.offers.filter((o) => o.type === 'license').map((o) => o.path),
      };
      store.set(PENDING_CONSENT, request);
      env.log.info({ actionId: ctx.actionId }, 'waiting for consent: soup-agent consent accept|deny');
    }
    return { type: 'wait', ms: pollMs };
  }
  await confirm(env, answer.decision, answer.by);
  store.atomically(() => {
    store.delete(PENDING_CONSENT);
    ctx.consent = { decision: answer.decision, by: answer.by };
    env.save();
  });
  return answer.decision === 'accept'
    ? { type: 'ok' }
    : { type: 'reject', reasons: [`consent denied by ${answer.by}`] };
}

export async function waitForWindow(env: StepEnv, pollMs: number): Promise<Waiting> {
  const { ctx } = env;
  const window = ctx.maintenanceWindow;
  if (window === undefined) return { type: 'ok' };
  if (ctx.kind === 'ddi') {
    if (window.available !== false) return { type: 'ok' };
    const base = await env.api.ddiAction(ctx.href, env.signal);
    const available = (base.deployment ?? base.confirmation)?.maintenanceWindow !== 'unavailable';
    ctx.maintenanceWindow = { available };
    env.save();
    return available ? { type: 'ok' } : { type: 'wait', ms: pollMs };
  }
  const now = env.clock.now();
  const start = window.nextStartAt;
  if (start === undefined) return { type: 'ok' };
  const end = window.durationMs === undefined ? Number.POSITIVE_INFINITY : start + window.durationMs;
  if (now >= start && now < end) return { type: 'ok' };
  if (now < start) {
    env.log.info({ opensAt: new Date(start).toISOString() }, 'waiting for the maintenance window');
    return { type: 'wait', ms: Math.min(start - now, pollMs) };
  }
  // the window we know has passed: the server's action carries the next one
  const action = await env.api.systemUpdate(ctx.href, env.signal);
  const mw = action.maintenanceWindow;
  const durationMs = parseDuration(mw?.duration);
  ctx.maintenanceWindow =
    mw === undefined
      ? undefined
      : {
          ...(mw.nextStartAt === undefined ? {} : { nextStartAt: mw.nextStartAt }),
          ...(durationMs === undefined ? {} : { durationMs }),
        };
  env.save();
  if (ctx.maintenanceWindow?.nextStartAt === start) return { type: 'wait', ms: pollMs };
  return waitForWindow(env, pollMs);
}
