/**
 * The rewrite of a match query before mingo compiles it (`recipe-file.md`, "Comparing values").
 *
 * - Version properties: mingo's `$lt`… compare raw strings, so every operator on a property listed in
 *   `versionProperties` is replaced by its natural-order twin registered here (`$eq` → `$naturalEq`, …).
 * - Other properties keep mingo's own operators (plain string compare), except `$in`/`$nin`, which become
 *   `$inSet`/`$ninSet`: the same plain-string semantics with the list turned into a Set once at compile
 *   time (mingo's `$in` builds a hash map of the list on every evaluation, which dominated the match job).
 *
 * These operators never appear in a recipe file (the whitelist rejects them there); they exist only
 * inside compiled queries. As in MongoDB, `$ne`/`$nin` hold for a module that lacks the attribute and
 * every other operator does not.
 */
import { Context } from 'mingo';
import { resolve } from 'mingo/util';
import { naturalCompare } from './natural.js';
import type { ComparisonOperator } from './operators.js';
import type { MongoQuery } from './types.js';

type Test = (value: string, arg: unknown) => boolean;

const eq: Test = (v, arg) => typeof arg === 'string' && naturalCompare(v, arg) === 0;
const anyEq: Test = (v, arg) => Array.isArray(arg) && arg.some((a) => eq(v, a));

/** For each operator: its twin's name, the test on a present string value, the result when absent. */
const TWINS: Record<ComparisonOperator, { name: `$${string}`; test: Test; whenMissing: boolean }> = {
  $eq: { name: '$naturalEq', test: eq, whenMissing: false },
  $ne: { name: '$naturalNe', test: (v, a) => !eq(v, a), whenMissing: true },
  $lt: {
    name: '$naturalLt',
    test: (v, a) => typeof a === 'string' && naturalCompare(v, a) < 0,
    whenMissing: false,
  },
  $lte: {
    name: '$naturalLte',
    test: (v, a) => typeof a === 'string' && naturalCompare(v, a) <= 0,
    whenMissing: false,
  },
  $gt: {
    name: '$naturalGt',
    test: (v, a) => typeof a === 'string' && naturalCompare(v, a) > 0,
    whenMissing: false,
  },
  $gte: {
    name: '$naturalGte',
    test: (v, a) => typeof a === 'string' && naturalCompare(v, a) >= 0,
    whenMissing: false,
  },
  $in: { name: '$naturalIn', test: anyEq, whenMissing: false },
  $nin: { name: '$naturalNin', test: (v, a) => !anyEq(v, a), whenMissing: true },
};

/** Attribute names are flat keys; a dotted selector is a path, as for mingo's own operators. */
function lookupOf(selector: string): (obj: Record<string, unknown>) => unknown {
  return selector.includes('.')
    ? (obj) => resolve(obj, selector)
    : (obj) => (Object.hasOwn(obj, selector) ? obj[selector] : undefined);
}

function twinOperator(test: Test, whenMissing: boolean) {
  return (selector: string, arg: unknown) => {
    const lookup = lookupOf(selector);
    return (obj: Record<string, unknown>) => {
      const value = lookup(obj);
      return typeof value === 'string' ? test(value, arg) : whenMissing;
    };
  };
}

type QueryOps = Parameters<Context['addQueryOps']>[0];

function setOperator(whenPresent: boolean, whenMissing: boolean) {
  return (selector: string, arg: unknown) => {
    const set = new Set(Array.isArray(arg) ? arg : []);
    const lookup = lookupOf(selector);
    return (obj: Record<string, unknown>) => {
      const value = lookup(obj);
      return value === undefined ? whenMissing : set.has(value) === whenPresent;
    };
  };
}

const ops: Record<string, unknown> = { $inSet: setOperator(true, false), $ninSet: setOperator(false, true) };
for (const twin of Object.values(TWINS)) ops[twin.name] = twinOperator(twin.test, twin.whenMissing);

/** The mingo context holding the operators of this file (mingo's own operators are always there too). */
export const rewriteContext: Context = Context.init().addQueryOps(ops as QueryOps);

function isOperatorObject(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).every((k) => k.startsWith('$'))
  );
}

function withSetOperators(cond: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [op, arg] of Object.entries(cond))
    out[op === '$in' ? '$inSet' : op === '$nin' ? '$ninSet' : op] = arg;
  return out;
}

/**
 * The query with every operator on a version property replaced by its natural-order twin
 * (`{hwVersion: "1.2"}` → `{hwVersion: {$naturalEq: "1.2"}}`) and `$in`/`$nin` on other properties by
 * their Set twins. Expects a whitelisted query; compile the result with `rewriteContext`.
 */
export function rewriteOperators(query: MongoQuery, versionProperties: ReadonlySet<string>): MongoQuery {
  const out: MongoQuery = {};
  for (const [key, cond] of Object.entries(query)) {
    if (key === '$and' && Array.isArray(cond)) {
      out[key] = cond.map((q: MongoQuery) => rewriteOperators(q, versionProperties));
    } else if (!versionProperties.has(key)) {
      out[key] = isOperatorObject(cond) ? withSetOperators(cond) : cond;
    } else if (isOperatorObject(cond)) {
      const twin: Record<string, unknown> = {};
      for (const [op, arg] of Object.entries(cond)) twin[TWINS[op as ComparisonOperator].name] = arg;
      out[key] = twin;
    } else {
      out[key] = { [TWINS.$eq.name]: cond };
    }
  }
  return out;
}
