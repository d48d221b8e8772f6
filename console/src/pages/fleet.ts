/**
 * Fleet picture: per released (or deactivated, still served) recipe, how many systems it matches, how
 * many are on it, how many failed to get it and how many are getting it now, as an inline SVG bar chart
 * with the same numbers in a table. Counted from the systems list: "failed" and "in progress" are
 * systems matched to the recipe whose update status is `error` or `pending`.
 */
import { get, type Page } from '../api.js';
import { fill, h, s, table } from '../dom.js';
import { watch } from '../live.js';
import type { Recipe, System } from '../types.js';
import { errorBox, heading } from '../ui.js';

interface Row {
  recipe: Recipe;
  matched: number;
  on: number;
  failed: number;
  inProgress: number;
}

const SERIES: { key: 'matched' | 'on' | 'failed' | 'inProgress'; label: string; color: string }[] = [
  { key: 'matched', label: 'Matched', color: '#0b57d0' },
  { key: 'on', label: 'On it', color: '#1e6e3c' },
  { key: 'failed', label: 'Failed', color: '#a50e0e' },
  { key: 'inProgress', label: 'In progress', color: '#8a5a00' },
];

export function countFleet(recipes: Recipe[], systems: System[]): Row[] {
  return recipes
    .filter((r) => r.lifecycle === 'RELEASED' || r.lifecycle === 'INACTIVE')
    .map((recipe) => {
      const matchedSystems = systems.filter((sy) => sy.matchedRecipe?.id === recipe.id);
      return {
        recipe,
        matched: matchedSystems.length,
        on: systems.filter((sy) => sy.installedRecipe?.id === recipe.id).length,
        failed: matchedSystems.filter(
          (sy) => sy.updateStatus === 'error' && sy.installedRecipe?.id !== recipe.id,
        ).length,
        inProgress: matchedSystems.filter((sy) => sy.updateStatus === 'pending').length,
      };
    });
}

function chart(rows: Row[], total: number): SVGElement {
  const groupHeight = 24 * SERIES.length + 28;
  const left = 180;
  const width = 640;
  const plot = width - left - 40;
  const max = Math.max(1, total, ...rows.flatMap((r) => SERIES.map((x) => r[x.key])));
  const height = rows.length * groupHeight + 40;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(max * f));
  return s(
    'svg',
    {
      viewBox: `0 0 ${width} ${height}`,
      class: 'chart',
      role: 'img',
      'aria-labelledby': 'fleet-chart-title',
      preserveAspectRatio: 'xMinYMin meet',
    },
    s(
      'title',
      { id: 'fleet-chart-title' },
      'Systems per released recipe: matched, on it, failed, in progress',
    ),
    ...[...new Set(ticks)].map((t) => {
      const x = left + (t / max) * plot;
      return s(
        'g',
        {},
        s('line', { x1: x, x2: x, y1: 0, y2: height - 30, stroke: '#d0d4d9' }),
        s('text', { x, y: height - 12, 'text-anchor': 'middle', class: 'tick' }, String(t)),
      );
    }),
    ...rows.map((r, i) => {
      const y0 = i * groupHeight + 8;
      return s(
        'g',
        {},
        s('text', { x: 0, y: y0 + 14, class: 'label' }, `${r.recipe.name} ${r.recipe.version}`),
        s('text', { x: 0, y: y0 + 32, class: 'sub' }, r.recipe.lifecycle),
        ...SERIES.map((x, j) => {
          const y = y0 + j * 24;
          const w = (r[x.key] / max) * plot;
          return s(
            'g',
            {},
            s('rect', { x: left, y, width: Math.max(w, 1), height: 18, fill: x.color }),
            s('text', { x: left + w + 6, y: y + 14, class: 'value' }, `${x.label}: ${r[x.key]}`),
          );
        }),
      );
    }),
  );
}

export async function renderFleet(main: HTMLElement): Promise<() => void> {
  const box = h('div');
  const load = async () => {
    try {
      const [recipes, systems] = await Promise.all([
        get<Page<Recipe>>('recipes?limit=500&sort=id:DESC'),
        get<Page<System>>('systems?limit=500'),
      ]);
      const rows = countFleet(recipes.content, systems.content);
      fill(
        box,
        h('p', {}, `${systems.total} systems; ${rows.length} released or deactivated recipes.`),
        rows.length === 0
          ? h('p', { class: 'empty' }, 'No recipe is released yet.')
          : h(
              'figure',
              {},
              chart(rows, systems.total),
              h(
                'figcaption',
                { class: 'chart-legend' },
                ...SERIES.map((x) =>
                  h('span', { class: 'key' }, h('span', { class: `swatch swatch-${x.key}` }), x.label),
                ),
              ),
            ),
        table<Row>(
          'Systems per released recipe',
          [
            {
              head: 'Recipe',
              cell: (r) =>
                h('a', { href: `#/recipes/${r.recipe.id}` }, `${r.recipe.name} ${r.recipe.version}`),
            },
            { head: 'Lifecycle', cell: (r) => r.recipe.lifecycle },
            { head: 'Matched', cell: (r) => String(r.matched) },
            { head: 'On it', cell: (r) => String(r.on) },
            { head: 'Failed', cell: (r) => String(r.failed) },
            { head: 'In progress', cell: (r) => String(r.inProgress) },
          ],
          rows,
        ),
      );
    } catch (err) {
      fill(box, errorBox(err));
    }
  };
  fill(main, heading('Fleet picture'), box);
  await load();
  return watch(
    () => true,
    () => void load(),
  );
}
