/**
 * Coverage classes (002 "Recipe coverage") as icons: five bars, as many filled as the class is high;
 * none = empty bars struck through; in progress = an arc. Each icon names its class for assistive
 * technology; the legend explains them.
 */
import { h, s } from './dom.js';
import type { CoverageClass } from './types.js';

export const COVERAGE: { cls: CoverageClass; name: string; meaning: string; level: number }[] = [
  { cls: 'VERY_HIGH', name: 'Very high', meaning: 'matches more than 80% of the systems', level: 5 },
  { cls: 'HIGH', name: 'High', meaning: 'matches 61% to 80% of the systems', level: 4 },
  { cls: 'MEDIUM', name: 'Medium', meaning: 'matches 41% to 60% of the systems', level: 3 },
  { cls: 'LOW', name: 'Low', meaning: 'matches 21% to 40% of the systems', level: 2 },
  { cls: 'VERY_LOW', name: 'Very low', meaning: 'matches 20% of the systems or fewer', level: 1 },
  { cls: 'NONE', name: 'None', meaning: 'no system matches the recipe', level: 0 },
  { cls: 'IN_PROGRESS', name: 'In progress', meaning: 'the coverage is being calculated', level: -1 },
];

export function coverageIcon(cls: CoverageClass): SVGElement {
  const entry = COVERAGE.find((c) => c.cls === cls) ?? (COVERAGE[5] as (typeof COVERAGE)[number]);
  const label = `Coverage: ${entry.name}`;
  const parts: SVGElement[] = [s('title', {}, label)];
  if (entry.level < 0) {
    parts.push(
      s('circle', { cx: 12, cy: 12, r: 8, fill: 'none', stroke: '#5f6368', 'stroke-width': 3 }),
      s('path', { d: 'M12 4 A8 8 0 0 1 20 12', fill: 'none', stroke: '#0b57d0', 'stroke-width': 3 }),
    );
  } else {
    for (let i = 0; i < 5; i++) {
      const height = 4 + i * 4;
      parts.push(
        s('rect', {
          x: 1 + i * 4.6,
          y: 22 - height,
          width: 3.4,
          height,
          rx: 0.6,
          fill: i < entry.level ? '#1e6e3c' : 'none',
          stroke: i < entry.level ? '#1e6e3c' : '#5f6368',
          'stroke-width': 1,
        }),
      );
    }
    if (entry.level === 0)
      parts.push(s('line', { x1: 2, y1: 22, x2: 22, y2: 2, stroke: '#a50e0e', 'stroke-width': 2 }));
  }
  return s(
    'svg',
    {
      class: 'coverage-icon',
      viewBox: '0 0 24 24',
      width: 24,
      height: 24,
      role: 'img',
      'aria-label': label,
      'data-coverage': cls,
    },
    ...parts,
  );
}

export function coverageLegend(): HTMLElement {
  return h(
    'details',
    { class: 'legend' },
    h('summary', {}, 'Coverage legend'),
    h(
      'dl',
      {},
      ...COVERAGE.flatMap((c) => [h('dt', {}, coverageIcon(c.cls), ' ', c.name), h('dd', {}, c.meaning)]),
    ),
  );
}
