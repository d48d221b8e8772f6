/** Formatting for people: times, sizes, states as badges. */
import { h } from './dom.js';

export function when(ms: number | string | null | undefined): HTMLElement | string {
  if (ms === null || ms === undefined) return 'never';
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return String(ms);
  const iso = d.toISOString();
  return h('time', { datetime: iso, title: iso }, `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`);
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** A state shown as text in a coloured box (the colour only repeats what the text says). */
export function badge(state: string | null | undefined, kind = 'state'): HTMLElement {
  const text = state ?? 'none';
  return h('span', { class: `badge ${kind}-${text.toLowerCase().replace(/[^a-z0-9]+/g, '-')}` }, text);
}

export function recipeName(r: { id: number | string; name: string; version: string } | null | undefined) {
  if (!r) return 'none';
  return h('a', { href: `#/recipes/${r.id}` }, `${r.name} ${r.version}`);
}
