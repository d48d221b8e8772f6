/**
 * The operator whitelist of `match` / `matchCount` (`recipe-file.md`, "Fields"): only
 * `$eq $ne $lt $lte $gt $gte $in $nin $and`. Anything else (`$where`, `$expr`, `$regex`, `$or`…) makes
 * the file invalid. The shapes are as strict as what the RSQL translation produces: match values are
 * strings, count values non-negative integers, `$in`/`$nin` take arrays, `$and` a non-empty array of queries.
 */

export const COMPARISON_OPERATORS = ['$eq', '$ne', '$lt', '$lte', '$gt', '$gte', '$in', '$nin'] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];
export const ALLOWED_OPERATORS: readonly string[] = [...COMPARISON_OPERATORS, '$and'];

const COMPARISONS: ReadonlySet<string> = new Set(COMPARISON_OPERATORS);

export type QueryValueKind = 'string' | 'count';

/** A key path fault: `path` names the offending key (`…match.$and[1].hwVersion.$regex`). */
export interface OperatorFault {
  path: string;
  message: string;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function valueFits(v: unknown, kind: QueryValueKind): boolean {
  return kind === 'string' ? typeof v === 'string' : Number.isSafeInteger(v) && (v as number) >= 0;
}

function fieldFault(cond: unknown, path: string, kind: QueryValueKind): OperatorFault | null {
  const expected = kind === 'string' ? 'a string' : 'a non-negative integer';
  if (!isPlainObject(cond)) {
    return valueFits(cond, kind) ? null : { path, message: `must be ${expected} or an operator object` };
  }
  const ops = Object.keys(cond);
  if (ops.length === 0) return { path, message: 'must name at least one operator' };
  for (const op of ops) {
    const at = `${path}.${op}`;
    if (!COMPARISONS.has(op)) return { path: at, message: `operator ${op} is not allowed` };
    const arg = cond[op];
    if (op === '$in' || op === '$nin') {
      if (!Array.isArray(arg) || arg.length === 0) return { path: at, message: 'must be a non-empty array' };
      const bad = arg.findIndex((v) => !valueFits(v, kind));
      if (bad >= 0) return { path: `${at}[${bad}]`, message: `must be ${expected}` };
    } else if (!valueFits(arg, kind)) {
      return { path: at, message: `must be ${expected}` };
    }
  }
  return null;
}

/**
 * The first fault of a query document, or null. `path` is where the query sits (for messages);
 * `count` queries must constrain the single field `count`.
 */
export function findOperatorFault(query: unknown, path: string, kind: QueryValueKind): OperatorFault | null {
  if (!isPlainObject(query)) return { path, message: 'must be a query object' };
  const keys = Object.keys(query);
  if (keys.length === 0) return { path, message: 'must not be empty' };
  for (const key of keys) {
    const at = `${path}.${key}`;
    const value = query[key];
    if (key === '$and') {
      if (!Array.isArray(value) || value.length === 0)
        return { path: at, message: 'must be a non-empty array' };
      for (let i = 0; i < value.length; i++) {
        const fault = findOperatorFault(value[i], `${at}[${i}]`, kind);
        if (fault) return fault;
      }
      continue;
    }
    if (key.startsWith('$')) return { path: at, message: `operator ${key} is not allowed` };
    if (kind === 'count' && key !== 'count')
      return { path: at, message: "a count query constrains only 'count'" };
    const fault = fieldFault(value, at, kind);
    if (fault) return fault;
  }
  return null;
}
