/** Recipes: lifecycle state, validity and coverage of each, with the coverage legend. */
import { get, type Page } from '../api.js';
import { coverageIcon, coverageLegend } from '../coverage.js';
import { fill, h, table } from '../dom.js';
import { badge } from '../format.js';
import { watch } from '../live.js';
import { may } from '../session.js';
import type { Recipe } from '../types.js';
import { errorBox, heading } from '../ui.js';

export async function renderRecipes(main: HTMLElement): Promise<() => void> {
  const list = h('div');
  const load = async () => {
    try {
      const page = await get<Page<Recipe>>('recipes?limit=500&sort=id:DESC');
      fill(
        list,
        table<Recipe>(
          'Recipes',
          [
            { head: 'Recipe', cell: (r) => h('a', { href: `#/recipes/${r.id}` }, `${r.name} ${r.version}`) },
            { head: 'Lifecycle', cell: (r) => badge(r.lifecycle, 'lifecycle') },
            { head: 'Validity', cell: (r) => badge(r.validity, 'validity') },
            {
              head: 'Coverage',
              cell: (r) =>
                h(
                  'span',
                  { class: 'coverage' },
                  coverageIcon(r.coverage.class),
                  ` ${r.coverage.matched} of ${r.coverage.total}`,
                ),
            },
            { head: 'Modules', cell: (r) => String(r.modules.length) },
            { head: 'Published', cell: (r) => r.published ?? '' },
          ],
          page.content,
          'no recipe yet.',
        ),
      );
    } catch (err) {
      fill(list, errorBox(err));
    }
  };
  fill(
    main,
    heading(
      'Recipes',
      may('SYSTEM_RESPONSIBLE') ? h('a', { class: 'button', href: '#/recipes/new' }, 'New recipe') : null,
    ),
    coverageLegend(),
    list,
  );
  await load();
  return watch(
    () => true,
    () => void load(),
  );
}
