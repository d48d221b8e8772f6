/**
 * RSQL module match / count queries → MongoDB query documents (`recipe-file.md`, "RSQL → MongoDB").
 *
 * A small recursive-descent parser for the restricted dialect (a library parser would accept `or`,
 * `,` and custom operators, and would not give the offsets we report):
 *
 *   query      := ws conjunction ws EOF
 *   conjunction:= term ( ws (';' | 'and') ws term )*         -- 'and' lower case only
 *   term       := '(' ws conjunction ws ')' | comparison      -- groups in match queries only
 *   comparison := selector operator argument                  -- no whitespace inside
 *   selector   := 'attributes.' name  (match)  |  'count' (count)
 *   operator   := '==' | '!=' | '=lt=' | '<' | '=le=' | '<=' | '=ge=' | '>=' | '=gt=' | '>' | '=in=' | '=out='
 *   argument   := value | '(' ws value ( ws ',' ws value )* ws ')'   -- the list for =in= / =out= only
 *   value      := unreserved+ | "'" chars "'" | '"' chars '"'       -- backslash escapes in quotes
 *
 * `unreserved` is anything but whitespace and `"'();,=!~<>`; `*` is a literal character.
 * Every error carries the 0-based offset (UTF-16 code units) of the fault.
 */
import { SoupError } from '../lib/errors.js';
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

export const ATTRIBUTE_PREFIX = 'attributes.';

type ComparisonOp = '$eq' | '$ne' | '$lt' | '$lte' | '$gt' | '$gte' | '$in' | '$nin';

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

  constructor(
    private readonly src: string,
    private readonly kind: QueryKind,
  ) {}

  parse(): MongoQuery {
    this.skipSpace();
    if (this.atEnd()) this.fail('empty query');
    const query = this.kind === 'count' ? this.comparison() : this.conjunction(false);
    this.skipSpace();
    if (!this.atEnd()) {
      if (this.kind === 'count' && this.atJoin()) this.fail('a count query is a single comparison');
      this.badJoin();
    }
    return query;
  }

  private conjunction(inGroup: boolean): MongoQuery {
    const terms = [this.term()];
    for (;;) {
      this.skipSpace();
      if (this.atEnd() || (inGroup && this.peek() === ')')) break;
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
    return terms.length === 1 ? terms[0]! : { $and: terms };
  }

  private term(): MongoQuery {
    if (this.peek() !== '(') return this.comparison();
    const open = this.pos++;
    this.skipSpace();
    const inner = this.conjunction(true);
    this.skipSpace();
    if (this.peek() !== ')') this.fail("unclosed '('", open);
    this.pos++;
    return inner;
  }

  private comparison(): MongoQuery {
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
      return { count: { [op]: Number(value) } };
    }
    if (op === '$in' || op === '$nin') return { [field]: { [op]: this.list() } };
    const value = this.value();
    return op === '$eq' ? { [field]: value } : { [field]: { [op]: value } };
  }

  private field(selector: string, start: number): string {
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

/**
 * `match`: `attributes.module-id==4711 and attributes.hwVersion=in=(1.7,1.8)` →
 * `{"$and":[{"module-id":"4711"},{"hwVersion":{"$in":["1.7","1.8"]}}]}`.
 * `count`: `count=ge=1` → `{"count":{"$gte":1}}` (the whole `matchCount` object).
 * Throws RsqlError.
 */
export function rsqlToMongo(query: string, kind: QueryKind): MongoQuery {
  return new Parser(query, kind).parse();
}
