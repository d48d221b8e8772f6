/** RSQL module match / count queries → MongoDB query documents (`recipe-file.md`). Owner: recipe. */
import { notBuilt, SoupError } from '../lib/errors.js';
import type { MongoQuery } from './types.js';

export type QueryKind = 'match' | 'count';

/** A query that does not parse: `position` is the 0-based character offset of the fault. */
export class RsqlError extends SoupError {
  readonly position: number;

  constructor(message: string, position: number) {
    super('SOUP_E_RSQL', `${message} at position ${position}`, { detail: { position } });
    this.position = position;
  }
}

/**
 * `match`: `attributes.module-id==4711 and attributes.hwVersion=in=(1.7,1.8)` →
 * `{"$and":[{"module-id":"4711"},{"hwVersion":{"$in":["1.7","1.8"]}}]}`.
 * `count`: `count=ge=1` → `{"count":{"$gte":1}}` (the whole `matchCount` object).
 * Throws RsqlError.
 */
export function rsqlToMongo(_query: string, _kind: QueryKind): MongoQuery {
  return notBuilt('RSQL parsing');
}
