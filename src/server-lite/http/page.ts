/**
 * Management API lists: `q` (an RSQL filter, `filter.ts`), `sort=field:ASC,other:DESC`, `offset`
 * (default 0), `limit` (default 50, at most 500) → `{content, size, total}`.
 */
import { badRequest } from './errors.js';
import { compareValue, parseFilter } from './filter.js';

/** A dot path (`type.key`) into an entity's JSON. */
function get(entity: unknown, path: string): unknown {
  let v: unknown = entity;
  for (const part of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function scalar(v: unknown): string | number | undefined {
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

export interface Page<T> {
  content: T[];
  size: number;
  total: number;
}

/** `q`, `sort=field:ASC,other:DESC`, `offset` (default 0), `limit` (default 50, at most 500). */
export function page<T>(items: T[], query: URLSearchParams): Page<T> {
  let list = items;
  const q = query.get('q');
  if (q) {
    const pred = parseFilter(q);
    list = list.filter((e) => pred(e));
  }
  const sort = query.get('sort');
  if (sort) {
    const keys = sort.split(',').map((part) => {
      const [field, dir = 'ASC'] = part.split(':');
      if (!field || !/^(ASC|DESC)$/i.test(dir))
        throw badRequest('request.invalidSort', `sort: cannot read '${part}'`);
      return { field, sign: dir.toUpperCase() === 'DESC' ? -1 : 1 };
    });
    list = [...list].sort((a, b) => {
      for (const k of keys) {
        const va = scalar(get(a, k.field));
        const vb = scalar(get(b, k.field));
        if (va === vb) continue;
        if (va === undefined) return 1;
        if (vb === undefined) return -1;
        const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : compareValue(va, String(vb));
        if (c !== 0) return c * k.sign;
      }
      return 0;
    });
  }
  const offset = intParam(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = intParam(query, 'limit', 50, 1, 500);
  const content = list.slice(offset, offset + limit);
  return { content, size: content.length, total: list.length };
}

function intParam(query: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null) return dflt;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max)
    throw badRequest('request.invalidParameter', `${name} must be an integer from ${min} to ${max}`);
  return n;
}
