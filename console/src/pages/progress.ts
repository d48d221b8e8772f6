/** An update's progress: the agent's phase and steps, and each module's state and bytes transferred. */
import { h, table } from '../dom.js';
import { badge, bytes } from '../format.js';
import type { Action, ModuleFeedback } from '../types.js';

function bar(
  label: string,
  p: { cnt: number; of: number } | undefined,
  unit: 'steps' | 'bytes',
): HTMLElement {
  if (!p || p.of <= 0) return h('span', {}, '—');
  const text = unit === 'bytes' ? `${bytes(p.cnt)} of ${bytes(p.of)}` : `${p.cnt} of ${p.of} steps`;
  return h(
    'span',
    { class: 'bar' },
    h('progress', { value: p.cnt, max: p.of, 'aria-label': `${label}: ${text}` }),
    h('span', { class: 'bar-text' }, text),
  );
}

/** The last known state of each module in an action (feedback carries the modules it reports on). */
export function moduleStates(action: Action): ModuleFeedback[] {
  const byModule = new Map<string, ModuleFeedback>();
  for (const f of action.feedback) for (const m of f.modules ?? []) byModule.set(m.module, m);
  return [...byModule.values()];
}

export function progressView(action: Action): HTMLElement {
  const last = action.feedback.at(-1);
  const finished = last?.status?.result?.finished;
  const outcome =
    action.status === 'open'
      ? (last?.phase ?? 'waiting for the gateway')
      : `${action.status}: ${action.result ?? finished ?? ''}`;
  return h(
    'div',
    { class: 'progress-view', 'data-action': action.id, 'data-status': action.status },
    h(
      'p',
      { class: 'phase' },
      'Action ',
      String(action.id),
      ': ',
      h('strong', { 'data-testid': 'outcome' }, outcome),
      ' ',
      bar('Update', last?.status?.result?.progress, 'steps'),
    ),
    table<ModuleFeedback>(
      'Modules in this update',
      [
        { head: 'Module', cell: (m) => m.module },
        { head: 'Definition', cell: (m) => m.definition ?? '' },
        { head: 'State', cell: (m) => badge(m.state, 'module') },
        { head: 'Version', cell: (m) => (m.toVersion ? `${m.fromVersion ?? '?'} → ${m.toVersion}` : '') },
        { head: 'Transfer', cell: (m) => bar(`${m.module} transfer`, m.progress, 'bytes') },
        { head: 'Details', cell: (m) => (m.details ?? []).join('; ') },
      ],
      moduleStates(action),
      'no module reported yet.',
    ),
  );
}
