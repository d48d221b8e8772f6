/**
 * Management API list filters (`?q=name==brake*;version=ge=2`): parsed by the project's one RSQL parser
 * (`recipe/rsql.ts`, dialect `filter`: `;`/`and` bind tighter than `,`/`or`, parentheses group, selectors
 * are dot paths such as `type.key` or `attributes.hwVersion`) and evaluated with mingo over the entities'
 * JSON. `$and`/`$or` and the path lookup are mingo's; the comparisons are the operators below, so the
 * semantics stay those of the lists: strings compare case-insensitively, numerically when the entity's
 * value is a number and the argument a number; an array matches when one element does; `*` in `==`,
 * `!=`, `=in=` and `=out=` values is a wildcard.
 *
 * No RegExp is ever built from the request: a wildcard pattern is split at `*` and its pieces are found
 * with `startsWith` / `indexOf` / `endsWith`, each piece searched once, left to right, from where the
 * previous one ended (leftmost placement is always right when `*` is the only metacharacter). Nothing
 * backtracks, so the work is bounded by the text length times the pattern length whatever the input, where
 * the old `^a.*b.*c$` RegExp took polynomial time in the number of stars. A fault is `400
 * soup.request.invalidQuery` naming its character position.
 */
import { Context, Query } from 'mingo';
import { resolve } from 'mingo/util';
import { type ComparisonOp, parseRsql, RsqlError, type RsqlNode } from '../../recipe/rsql.js';
import { badRequest } from './errors.js';

/** Does `text` match `pattern`, where `*` stands for any run of characters (no other metacharacter)? */
export function globMatch(text: string, pattern: string): boolean {
  const pieces = pattern.split('*');
  if (pieces.length === 1) return text === pattern;
  const first = pieces[0] as string;
  const last = pieces[pieces.length - 1] as string;
  if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last))
    return false;
  const end = text.length - last.length;
  let at = first.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i] as string;
    if (piece === '') continue;
    const found = text.indexOf(piece, at);
    if (found < 0 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}

function scalar(v: unknown): string | number | undefined {
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

/** Numbers numerically when the argument is a number, anything else as lower-case text. */
export function compareValue(a: string | number, b: string): number {
  const nb = Number(b);
  if (typeof a === 'number' && b !== '' && Number.isFinite(nb)) return a - nb;
  const sa = String(a).toLowerCase();
  const sb = b.toLowerCase();
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function equals(actual: unknown, expected: string): boolean {
  const values = Array.isArray(actual) ? actual : [actual];
  return values.some((raw) => {
    const a = scalar(raw);
    if (a === undefined) return false;
    if (expected.includes('*')) return globMatch(String(a).toLowerCase(), expected.toLowerCase());
    return compareValue(a, expected) === 0;
  });
}

type Test = (actual: unknown, arg: unknown) => boolean;

const ordered =
  (holds: (c: number) => boolean): Test =>
  (actual, arg) => {
    const a = scalar(actual);
    return a !== undefined && typeof arg === 'string' && holds(compareValue(a, arg));
  };
const anyEqual: Test = (actual, arg) =>
  Array.isArray(arg) && arg.some((x) => typeof x === 'string' && equals(actual, x));

const TESTS: Record<ComparisonOp, [name: `$${string}`, test: Test]> = {
  $eq: ['$filterEq', (a, arg) => typeof arg === 'string' && equals(a, arg)],
  $ne: ['$filterNe', (a, arg) => typeof arg === 'string' && !equals(a, arg)],
  $lt: ['$filterLt', ordered((c) => c < 0)],
  $lte: ['$filterLte', ordered((c) => c <= 0)],
  $gt: ['$filterGt', ordered((c) => c > 0)],
  $gte: ['$filterGte', ordered((c) => c >= 0)],
  $in: ['$filterIn', anyEqual],
  $nin: ['$filterNin', (a, arg) => !anyEqual(a, arg)],
};

const operators: Record<string, unknown> = {};
for (const [name, test] of Object.values(TESTS))
  operators[name] = (selector: string, arg: unknown) => (obj: Record<string, unknown>) =>
    test(resolve(obj, selector), arg);

const filterContext: Context = Context.init().addQueryOps(operators as Parameters<Context['addQueryOps']>[0]);

function toQuery(node: RsqlNode): Record<string, unknown> {
  if ('and' in node) return { $and: node.and.map(toQuery) };
  if ('or' in node) return { $or: node.or.map(toQuery) };
  const [name] = TESTS[node.op];
  const arg = node.op === '$in' || node.op === '$nin' ? node.values : node.values[0];
  return { [node.field]: { [name]: arg } };
}

export type Predicate = (entity: unknown) => boolean;

/** The filter of `q` as a predicate over an entity's JSON; 400 naming the position when it does not parse. */
export function parseFilter(q: string): Predicate {
  let tree: RsqlNode;
  try {
    tree = parseRsql(q, 'filter');
  } catch (err) {
    if (err instanceof RsqlError)
      throw badRequest('request.invalidQuery', `q: ${err.message}`, { position: err.position });
    throw err;
  }
  const query = new Query(toQuery(tree), { context: filterContext });
  return (entity) => query.test(entity as Record<string, unknown>);
}
