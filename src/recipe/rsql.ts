/**
 * RSQL module match / count queries → MongoDB query documents (`recipe-file.md`, "RSQL → MongoDB").
 *
 * A small recursive-descent parser for the restricted dialect (a library parser would accept `or`,
 * `,` and custom operators, and would not give the offsets we report):
 *
 *   query      := ws disjunction ws EOF
 *   disjunction:= conjunction ( ws (',' | 'or') ws conjunction )*  -- filters only
 *   conjunction:= term ( ws (';' | 'and') ws term )*         -- 'and' / 'or' lower case only
 *   term       := '(' ws disjunction ws ')' | comparison      -- groups in match queries and filters
 *   comparison := selector operator argument                  -- no whitespace inside
 *   selector   := 'attributes.' name (match) | 'count' (count) | path (filter: [A-Za-z0-9_-]+ joined by '.')
 *   operator   := '==' | '!=' | '=lt=' | '<' | '=le=' | '<=' | '=ge=' | '>=' | '=gt=' | '>' | '=in=' | '=out='
 *   argument   := value | '(' ws value ( ws ',' ws value )* ws ')'   -- the list for =in= / =out= only
 *   value      := unreserved+ | "'" chars "'" | '"' chars '"'       -- backslash escapes in quotes
 *
 * `unreserved` is anything but whitespace and `"'();,=!~<>`; `*` is a literal character here (filters
 * give it a meaning when they evaluate). Every error carries the 0-based offset (UTF-16 code units) of
 * the fault. Groups nest at most MAX_GROUP_DEPTH deep (the parser recurses per group: a hostile query
 * must not overflow the stack); one pass, no backtracking.
 *
 * This is the project's one RSQL parser: the same grammar, in a third dialect (`filter`: `or` allowed,
 * selectors are dot paths), parses server-lite's list filters (`?q=`, `parseRsql(q, 'filter')`, evaluated
 * with mingo in `server-lite/http/filter.ts`).
 */
import { SoupError } from '../lib/errors.js';
import type { MongoQuery } from './types.js';

export type QueryKind = 'match' | 'count';

/** `match`/`count`: recipe queries (restricted); `filter`: Management API list filters. */
export type RsqlDialect = QueryKind | 'filter';

/** Deepest nesting of `(` groups a query may have (the parser recurses per group: no stack overflow). */
export const MAX_GROUP_DEPTH = 32;

/** A query that does not parse: `position` is the 0-based character offset of the fault. */
export class RsqlError extends SoupError {
  readonly position: number;

  constructor(message: string, position: number) {
    super('SOUP_E_RSQL', `${message} at position ${position}`, { detail: { position } });
    this.position = position;
  }
}

export const ATTRIBUTE_PREFIX = 'attributes.';

export type ComparisonOp = '$eq' | '$ne' | '$lt' | '$lte' | '$gt' | '$gte' | '$in' | '$nin';

/** A parsed query. `field` is the attribute name (match), `count`, or the dot path (filter). */
export type RsqlNode =
  | { and: RsqlNode[] }
  | { or: RsqlNode[] }
  | { field: string; op: ComparisonOp; values: string[]; position: number };

const NAMED_OPERATORS: Record<string, ComparisonOp> = {
  lt: '$lt',
  le: '$lte',
  ge: '$gte',
  gt: '$gt',
  in: '$in',
  out: '$nin',
};

const COUNT_OPERATORS: ReadonlySet<ComparisonOp> = new Set(['$eq', '$lt', '$lte', '$gt', '$gte']);

const RESERVED = new Set(['"', "'", '(', ')', ';', ',', '=', '!', '~', '<', '>']);

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

function isUnreserved(c: string): boolean {
  return !RESERVED.has(c) && !isSpace(c);
}

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly src: string,
    private readonly kind: RsqlDialect,
  ) {}

  parse(): RsqlNode {
    this.skipSpace();
    if (this.atEnd()) this.fail('empty query');
    const query = this.kind === 'count' ? this.comparison() : this.disjunction(false);
    this.skipSpace();
    if (!this.atEnd()) {
      if (this.kind === 'count' && this.atJoin()) this.fail('a count query is a single comparison');
      this.badJoin();
    }
    return query;
  }

  private disjunction(inGroup: boolean): RsqlNode {
    const terms = [this.conjunction(inGroup)];
    while (this.kind === 'filter' && this.atOr()) {
      this.pos += this.peek() === ',' ? 1 : 2;
      this.skipSpace();
      if (this.atEnd()) this.fail('expected a comparison');
      terms.push(this.conjunction(inGroup));
    }
    return terms.length === 1 ? terms[0]! : { or: terms };
  }

  private conjunction(inGroup: boolean): RsqlNode {
    const terms = [this.term()];
    for (;;) {
      this.skipSpace();
      if (this.atEnd() || (inGroup && this.peek() === ')')) break;
      if (this.kind === 'filter' && this.atOr()) break;
      if (this.peek() === ';') {
        this.pos++;
      } else if (this.wordAt() === 'and') {
        this.pos += 3;
      } else {
        this.badJoin();
      }
      this.skipSpace();
      if (this.atEnd()) this.fail('expected a comparison');
      terms.push(this.term());
    }
    return terms.length === 1 ? terms[0]! : { and: terms };
  }

  private term(): RsqlNode {
    if (this.peek() !== '(') return this.comparison();
    const open = this.pos++;
    if (++this.depth > MAX_GROUP_DEPTH) this.fail(`groups nested deeper than ${MAX_GROUP_DEPTH}`, open);
    this.skipSpace();
    const inner = this.disjunction(true);
    this.skipSpace();
    if (this.peek() !== ')') this.fail("unclosed '('", open);
    this.pos++;
    this.depth--;
    return inner;
  }

  private comparison(): RsqlNode {
    const start = this.pos;
    const selector = this.unreserved();
    if (selector === '') this.fail('expected a selector', start);
    const field = this.field(selector, start);
    const opStart = this.pos;
    const op = this.operator();
    if (this.kind === 'count') {
      if (!COUNT_OPERATORS.has(op))
        this.fail(`operator ${this.src.slice(opStart, this.pos)} is not allowed in a count query`, opStart);
      const valueStart = this.pos;
      const value = this.value();
      if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value))) {
        this.fail(`count value '${value}' is not a non-negative integer`, valueStart);
      }
      return { field, op, values: [value], position: start };
    }
    const values = op === '$in' || op === '$nin' ? this.list() : [this.value()];
    return { field, op, values, position: start };
  }

  private field(selector: string, start: number): string {
    if (this.kind === 'filter') return filterPath(selector, start);
    if (this.kind === 'count') {
      if (selector !== 'count') this.fail(`count query selector must be 'count', not '${selector}'`, start);
      return selector;
    }
    if (!selector.startsWith(ATTRIBUTE_PREFIX)) {
      this.fail(`selector '${selector}' must start with '${ATTRIBUTE_PREFIX}'`, start);
    }
    const name = selector.slice(ATTRIBUTE_PREFIX.length);
    const nameStart = start + ATTRIBUTE_PREFIX.length;
    if (name === '') this.fail(`attribute name missing after '${ATTRIBUTE_PREFIX}'`, nameStart);
    if (name.startsWith('$')) this.fail(`attribute name '${name}' must not start with '$'`, nameStart);
    return name;
  }

  private operator(): ComparisonOp {
    const start = this.pos;
    const c = this.peek();
    const next = this.src[start + 1];
    switch (c) {
      case '=': {
        if (next === '=') {
          this.pos += 2;
          return '$eq';
        }
        const named = /=([A-Za-z]*)=/y;
        named.lastIndex = start;
        const m = named.exec(this.src);
        const op = m ? NAMED_OPERATORS[m[1]!] : undefined;
        if (!m || op === undefined) this.fail(`unknown operator '${m ? m[0] : '='}'`, start);
        this.pos += m[0].length;
        return op;
      }
      case '!':
        if (next !== '=') this.fail("unknown operator '!'", start);
        this.pos += 2;
        return '$ne';
      case '<':
      case '>': {
        const orEqual = next === '=';
        this.pos += orEqual ? 2 : 1;
        if (c === '<') return orEqual ? '$lte' : '$lt';
        return orEqual ? '$gte' : '$gt';
      }
      case '~':
        return this.fail("unknown operator '~'", start);
      default:
        return this.fail('expected an operator', start);
    }
  }

  private list(): string[] {
    if (this.peek() !== '(') this.fail("expected '(' with a list of values", this.pos);
    const open = this.pos++;
    const values: string[] = [];
    for (;;) {
      this.skipSpace();
      values.push(this.value());
      this.skipSpace();
      const c = this.peek();
      if (c === ')') break;
      if (c === ',') {
        this.pos++;
        continue;
      }
      this.fail(this.atEnd() ? "unclosed '('" : "expected ',' or ')'", this.atEnd() ? open : this.pos);
    }
    this.pos++;
    return values;
  }

  private value(): string {
    const start = this.pos;
    const quote = this.peek();
    if (quote !== "'" && quote !== '"') {
      const value = this.unreserved();
      if (value === '') this.fail('empty value', start);
      return value;
    }
    let value = '';
    for (this.pos++; ; this.pos++) {
      if (this.atEnd()) this.fail('unterminated quoted value', start);
      const c = this.src[this.pos]!;
      if (c === quote) break;
      if (c === '\\') {
        this.pos++;
        if (this.atEnd()) this.fail('unterminated quoted value', start);
      }
      value += this.src[this.pos];
    }
    this.pos++;
    if (value === '') this.fail('empty value', start);
    return value;
  }

  /** Something other than `;`/`and` where a composition could stand: say what it is. */
  private badJoin(): never {
    const c = this.peek();
    if (c === ',') this.fail("',' (or) composition is not supported");
    const word = this.wordAt();
    if (word.toLowerCase() === 'or') this.fail(`'${word}' composition is not supported`);
    if (word.toLowerCase() === 'and') this.fail(`'${word}' must be written in lower case: 'and'`);
    this.fail(`unexpected '${c}'`);
  }

  private atJoin(): boolean {
    return this.peek() === ';' || this.wordAt() === 'and';
  }

  private atOr(): boolean {
    return this.peek() === ',' || this.wordAt() === 'or';
  }

  /** The run of letters at the cursor (not consumed). */
  private wordAt(): string {
    const m = /[A-Za-z]+/y;
    m.lastIndex = this.pos;
    return m.exec(this.src)?.[0] ?? '';
  }

  private unreserved(): string {
    const start = this.pos;
    while (!this.atEnd() && isUnreserved(this.src[this.pos]!)) this.pos++;
    return this.src.slice(start, this.pos);
  }

  private skipSpace(): void {
    while (!this.atEnd() && isSpace(this.src[this.pos]!)) this.pos++;
  }

  private peek(): string {
    return this.src[this.pos] ?? '';
  }

  private atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  private fail(message: string, position: number = this.pos): never {
    throw new RsqlError(message, position);
  }
}

const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

/** A filter selector: dot-separated segments of `[A-Za-z0-9_-]`, none of them an object internal. */
function filterPath(selector: string, start: number): string {
  let segmentStart = 0;
  for (let i = 0; i <= selector.length; i++) {
    const c = selector[i];
    if (c === undefined || c === '.') {
      const segment = selector.slice(segmentStart, i);
      if (segment === '') throw new RsqlError(`empty segment in selector '${selector}'`, start + i);
      if (FORBIDDEN_SEGMENTS.has(segment))
        throw new RsqlError(`selector segment '${segment}' is not allowed`, start + segmentStart);
      segmentStart = i + 1;
      continue;
    }
    const ok =
      (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '_' || c === '-';
    if (!ok) throw new RsqlError(`character '${c}' is not allowed in a selector`, start + i);
  }
  return selector;
}

/** Parses a query of any dialect into its tree. Throws RsqlError. */
export function parseRsql(query: string, dialect: RsqlDialect): RsqlNode {
  return new Parser(query, dialect).parse();
}

function toMongo(node: RsqlNode, kind: QueryKind): MongoQuery {
  if ('and' in node) return { $and: node.and.map((n) => toMongo(n, kind)) };
  if ('or' in node) throw new RsqlError("',' (or) composition is not supported", 0);
  const { field, op, values } = node;
  if (kind === 'count') return { count: { [op]: Number(values[0]) } };
  if (op === '$in' || op === '$nin') return { [field]: { [op]: values } };
  return op === '$eq' ? { [field]: values[0] } : { [field]: { [op]: values[0] } };
}

/**
 * `match`: `attributes.module-id==4711 and attributes.hwVersion=in=(1.7,1.8)` →
 * `{"$and":[{"module-id":"4711"},{"hwVersion":{"$in":["1.7","1.8"]}}]}`.
 * `count`: `count=ge=1` → `{"count":{"$gte":1}}` (the whole `matchCount` object).
 * Throws RsqlError.
 */
export function rsqlToMongo(query: string, kind: QueryKind): MongoQuery {
  return toMongo(parseRsql(query, kind), kind);
}
