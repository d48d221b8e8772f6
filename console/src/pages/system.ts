/**
 * One system: its facts, why recipes do not match it, its modules with their attributes, the update
 * in progress (per module, live) and every action with every feedback. Retry (where the Management API
 * offers it: `_links.retry`), report request and scope for users who may.
 */
import { ApiFailure, get, type Page, post, put } from '../api.js';
import { fill, h, table } from '../dom.js';
import { badge, recipeName, when } from '../format.js';
import { watch } from '../live.js';
import { may } from '../session.js';
import type { Action, Feedback, ReportedModule, System } from '../types.js';
import { actionButton, errorBox, heading, notify } from '../ui.js';
import { progressView } from './progress.js';

function facts(s: System): HTMLElement {
  const row = (k: string, v: Node | string) => [h('dt', {}, k), h('dd', {}, v)];
  return h(
    'dl',
    { class: 'facts' },
    row('Name', s.name),
    row('Scope', s.scope),
    row('Update status', badge(s.updateStatus, 'status')),
    row('Last poll', when(s.lastPollAt)),
    row('Last system report', when(s.lastReportAt ?? null)),
    row('Matched recipe', recipeName(s.matchedRecipe)),
    row('Matched release candidate', recipeName(s.matchedReleaseCandidateRecipe)),
    row('Installed recipe', recipeName(s.installedRecipe)),
  );
}

function reasons(s: System): HTMLElement {
  const list = s.matchReasons;
  const intro = s.matchedRecipe
    ? h('p', {}, 'Matches ', recipeName(s.matchedRecipe), '.')
    : h('p', {}, 'No recipe matches this system.');
  if (list === undefined)
    return h('div', {}, intro, h('p', { class: 'empty' }, 'This server gives no match reasons.'));
  return h(
    'div',
    {},
    intro,
    list.length > 0
      ? [
          h(
            'p',
            {},
            s.matchedRecipe
              ? 'Other candidate recipes do not match:'
              : 'Why each candidate recipe does not match:',
          ),
          h('ul', { class: 'reasons' }, ...list.map((r) => h('li', {}, r))),
        ]
      : s.matchedRecipe
        ? null
        : h('p', { class: 'empty' }, `No recipe is a candidate for a ${s.scope} system.`),
  );
}

function modules(s: System): HTMLElement {
  return table<ReportedModule>(
    'Modules (last system report)',
    [
      { head: 'Name', cell: (m) => m.name },
      { head: 'Id', cell: (m) => m.id },
      { head: 'Type', cell: (m) => m.type ?? '' },
      { head: 'Status', cell: (m) => m.status ?? 'ok' },
      {
        head: 'Attributes',
        cell: (m) =>
          h(
            'dl',
            { class: 'attrs' },
            ...Object.entries(m.attributes).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
          ),
      },
    ],
    s.lastReport?.modules ?? [],
    'no system report yet.',
  );
}

function feedbackTable(a: Action): HTMLElement {
  return table<Feedback>(
    `Feedback of action ${a.id}`,
    [
      { head: 'Received', cell: (f) => when(f.receivedAt) },
      { head: 'Phase', cell: (f) => f.phase ?? '' },
      { head: 'Execution', cell: (f) => f.status?.execution ?? '' },
      { head: 'Result', cell: (f) => f.status?.result?.finished ?? '' },
      {
        head: 'Steps',
        cell: (f) =>
          f.status?.result?.progress ? `${f.status.result.progress.cnt}/${f.status.result.progress.of}` : '',
      },
      { head: 'Modules', cell: (f) => (f.modules ?? []).map((m) => `${m.module}: ${m.state}`).join(', ') },
      { head: 'Details', cell: (f) => (f.status?.details ?? []).join('; ') },
      { head: 'Offline', cell: (f) => (f.offline ? 'yes' : 'no') },
    ],
    a.feedback,
    'no feedback yet.',
  );
}

function history(actions: Action[], open: Set<number>): HTMLElement {
  if (actions.length === 0) return h('p', { class: 'empty' }, 'No action yet.');
  return h(
    'div',
    { class: 'history' },
    ...actions.map((a) => {
      const d = h(
        'details',
        { open: open.has(a.id), 'data-action': a.id },
        h(
          'summary',
          {},
          `Action ${a.id} · ${a.kind}`,
          a.recipeId !== undefined ? ` · recipe ${a.recipeId}` : '',
          a.distributionSetId !== undefined ? ` · distribution set ${a.distributionSetId}` : '',
          ' · ',
          badge(a.status === 'open' ? 'open' : (a.result ?? a.status), 'status'),
          ' · ',
          when(a.createdAt),
          ` · ${a.feedback.length} feedback`,
        ),
        feedbackTable(a),
      );
      d.addEventListener('toggle', () => (d.open ? open.add(a.id) : open.delete(a.id)));
      return d;
    }),
  );
}

export async function renderSystem(main: HTMLElement, controllerId: string): Promise<() => void> {
  const path = `systems/${encodeURIComponent(controllerId)}`;
  const errors = h('div');
  const sections = {
    facts: h('div'),
    reasons: h('div'),
    current: h('div', { 'aria-live': 'polite', id: 'current-update' }),
    modules: h('div'),
    history: h('div'),
  };
  const openDetails = new Set<number>();
  const buttons = h('div', { class: 'buttons' });
  const load = async () => {
    let system: System;
    let actions: Action[];
    try {
      system = await get<System>(path);
      actions = (await get<Page<Action>>(`${path}/actions?limit=50`)).content;
    } catch (err) {
      fill(errors, errorBox(err));
      return;
    }
    fill(sections.facts, facts(system));
    fill(sections.reasons, reasons(system));
    const current = actions[0];
    fill(sections.current, current ? progressView(current) : h('p', { class: 'empty' }, 'No update yet.'));
    fill(sections.modules, modules(system));
    if (current?.status === 'open') openDetails.add(current.id);
    fill(sections.history, history(actions, openDetails));
    fill(buttons, ...controls(system));
  };
  const controls = (system: System): Node[] => {
    if (!may('SYSTEM_RESPONSIBLE')) return [];
    const out: Node[] = [];
    if (system._links?.retry !== undefined)
      out.push(
        actionButton(
          'Retry the update',
          async () => {
            try {
              await post(`${path}/retry`);
              notify(`Retry requested for ${controllerId}.`);
            } catch (err) {
              if (err instanceof ApiFailure && err.status === 409)
                throw new Error(`Retry refused: ${err.message}`);
              throw err;
            }
            await load();
          },
          errors,
        ),
      );
    out.push(
      actionButton(
        'Request a system report',
        async () => {
          await post(`${path}/requestReport`);
          notify(`The gateway will send a system report on its next poll.`);
        },
        errors,
      ),
      actionButton(
        system.scope === 'production' ? 'Make it a testing system' : 'Make it a production system',
        async () => {
          await put(path, { scope: system.scope === 'production' ? 'testing' : 'production' });
          await load();
        },
        errors,
      ),
    );
    return out;
  };
  fill(
    main,
    heading(`System ${controllerId}`),
    h('p', {}, h('a', { href: '#/systems' }, '← All systems')),
    buttons,
    errors,
    sections.facts,
    h(
      'section',
      { 'aria-labelledby': 'h-match' },
      h('h2', { id: 'h-match' }, 'Recipe match'),
      sections.reasons,
    ),
    h(
      'section',
      { 'aria-labelledby': 'h-current' },
      h('h2', { id: 'h-current' }, 'Latest update'),
      sections.current,
    ),
    h(
      'section',
      { 'aria-labelledby': 'h-modules' },
      h('h2', { id: 'h-modules' }, 'Modules'),
      sections.modules,
    ),
    h(
      'section',
      { 'aria-labelledby': 'h-history' },
      h('h2', { id: 'h-history' }, 'Action history'),
      sections.history,
    ),
  );
  await load();
  return watch(
    (c) => c.scope === 'fleet' || c.controllerId === controllerId,
    () => void load(),
  );
}
