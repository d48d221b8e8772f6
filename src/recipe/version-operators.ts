/**
 * Natural-order comparison operators for mingo (`recipe-file.md`, "Comparing values").
 *
 * mingo's `$lt`… compare raw strings, so a compiled query is rewritten: every operator on a property
 * listed in `versionProperties` is replaced by its natural-order twin registered here (`$eq` →
 * `$naturalEq`, …). The twins never appear in a recipe file (the whitelist rejects them there); they
 * exist only inside compiled queries. As in MongoDB, `$ne`/`$nin` hold for a module that lacks the
 * attribute and every other operator does not. Owner: recipe.
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

function twinOperator(test: Test, whenMissing: boolean) {
  return (selector: string, arg: unknown) => (obj: Record<string, unknown>) => {
    const value = resolve(obj, selector);
    return typeof value === 'string' ? test(value, arg) : whenMissing;
  };
}

type QueryOps = Parameters<Context['addQueryOps']>[0];

const ops: Record<string, unknown> = {};
for (const twin of Object.values(TWINS)) ops[twin.name] = twinOperator(twin.test, twin.whenMissing);

/** The mingo context holding the natural-order twins (mingo's own operators are always there too). */
export const naturalContext: Context = Context.init().addQueryOps(ops as QueryOps);

function isOperatorObject(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).every((k) => k.startsWith('$'))
  );
}

/**
 * The query with every operator on a version property replaced by its natural-order twin
 * (`{hwVersion: "1.2"}` → `{hwVersion: {$naturalEq: "1.2"}}`). Expects a whitelisted query.
 */
export function rewriteVersionOperators(
  query: MongoQuery,
  versionProperties: ReadonlySet<string>,
): MongoQuery {
  const out: MongoQuery = {};
  for (const [key, cond] of Object.entries(query)) {
    if (key === '$and' && Array.isArray(cond)) {
      out[key] = cond.map((q: MongoQuery) => rewriteVersionOperators(q, versionProperties));
    } else if (!versionProperties.has(key)) {
      out[key] = cond;
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
