/** Systems: every gateway with its scope, last poll, matched and installed recipe and update status. */
import { get, type Page } from '../api.js';
import { field, fill, h, table } from '../dom.js';
import { badge, recipeName, when } from '../format.js';
import { watch } from '../live.js';
import type { System } from '../types.js';
import { errorBox, heading } from '../ui.js';

export async function renderSystems(main: HTMLElement): Promise<() => void> {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const q = h('input', {
    name: 'q',
    type: 'search',
    value: params.get('q') ?? '',
    placeholder: 'updateStatus==error;scope==production',
    spellcheck: 'false',
  });
  const results = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'search', role: 'search' },
    field(
      'Filter (RSQL)',
      q,
      'Fields: controllerId, name, scope, updateStatus, matchedRecipe.name, installedRecipe.version, …',
    ),
    h('button', { type: 'submit' }, 'Search'),
  );
  const load = async () => {
    const query = q.value.trim();
    try {
      const page = await get<Page<System>>(
        `systems?limit=500&sort=controllerId:ASC${query ? `&q=${encodeURIComponent(query)}` : ''}`,
      );
      fill(
        results,
        h('p', { class: 'count' }, `${page.total} system${page.total === 1 ? '' : 's'}`),
        table<System>(
          'Systems',
          [
            {
              head: 'Controller id',
              cell: (s) =>
                h('a', { href: `#/systems/${encodeURIComponent(s.controllerId)}` }, s.controllerId),
            },
            { head: 'Name', cell: (s) => s.name },
            { head: 'Scope', cell: (s) => s.scope },
            { head: 'Last poll', cell: (s) => when(s.lastPollAt) },
            { head: 'Matched recipe', cell: (s) => recipeName(s.matchedRecipe) },
            { head: 'Installed recipe', cell: (s) => recipeName(s.installedRecipe) },
            { head: 'Update status', cell: (s) => badge(s.updateStatus, 'status') },
          ],
          page.content,
          'no system matches.',
        ),
      );
    } catch (err) {
      fill(results, errorBox(err));
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const query = q.value.trim();
    history.replaceState(null, '', query ? `#/systems?q=${encodeURIComponent(query)}` : '#/systems');
    void load();
  });
  fill(main, heading('Systems'), form, results);
  await load();
  // a poll changes no entity (no change event): last poll times are read again every 15 s
  const timer = window.setInterval(() => void load(), 15_000);
  const unwatch = watch(
    () => true,
    () => void load(),
  );
  return () => {
    clearInterval(timer);
    unwatch();
  };
}
