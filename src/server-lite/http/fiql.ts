/**
 * FIQL/RSQL filters of Management API lists (`?q=name==brake*;version=ge=2`), evaluated over the
 * entities' JSON. Selectors are dot paths (`type.key`, `attributes.hwVersion`); `*` in `==`/`!=` values
 * is a wildcard; `;`/`and` bind tighter than `,`/`or`; parentheses group. Comparison is case-insensitive
 * for strings, numeric when both sides are numbers. A fault is `400` naming its character position.
 * (Recipe module queries do not use this: they go through `recipe/rsql.ts`, which is stricter.)
 */
import { badRequest } from './errors.js';

type Pred = (entity: unknown) => boolean;

const OPS = ['==', '!=', '=lt=', '=le=', '=gt=', '=ge=', '=in=', '=out=', '<=', '>=', '<', '>'] as const;
type Op = (typeof OPS)[number];

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  fail(message: string, at = this.i): never {
    throw badRequest('request.invalidQuery', `q: ${message} at position ${at}`, { position: at });
  }

  ws(): void {
    while (this.s[this.i] === ' ') this.i++;
  }

  parse(): Pred {
    const p = this.or();
    this.ws();
    if (this.i < this.s.length) this.fail(`unexpected '${this.s[this.i]}'`);
    return p;
  }

  private word(w: string): boolean {
    this.ws();
    if (this.s.startsWith(w, this.i) && /[\s(]/.test(this.s[this.i + w.length] ?? '')) {
      this.i += w.length;
      return true;
    }
    return false;
  }

  private or(): Pred {
    const parts = [this.and()];
    for (;;) {
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (!this.word('or')) break;
      parts.push(this.and());
    }
    return parts.length === 1 ? (parts[0] as Pred) : (e) => parts.some((p) => p(e));
  }

  private and(): Pred {
    const parts = [this.term()];
    for (;;) {
      this.ws();
      if (this.s[this.i] === ';') this.i++;
      else if (!this.word('and')) break;
      parts.push(this.term());
    }
    return parts.length === 1 ? (parts[0] as Pred) : (e) => parts.every((p) => p(e));
  }

  private term(): Pred {
    this.ws();
    if (this.s[this.i] === '(') {
      this.i++;
      const p = this.or();
      this.ws();
      if (this.s[this.i] !== ')') this.fail("missing ')'");
      this.i++;
      return p;
    }
    const start = this.i;
    while (this.i < this.s.length && /[A-Za-z0-9_.-]/.test(this.s[this.i] as string)) this.i++;
    const selector = this.s.slice(start, this.i);
    if (!selector) this.fail('expected a field name');
    const op = OPS.find((o) => this.s.startsWith(o, this.i));
    if (!op) this.fail('expected an operator');
    this.i += op.length;
    const values: string[] = [];
    if (op === '=in=' || op === '=out=') {
      if (this.s[this.i] !== '(') this.fail("expected '('");
      this.i++;
      for (;;) {
        values.push(this.value());
        if (this.s[this.i] === ',') this.i++;
        else break;
      }
      if (this.s[this.i] !== ')') this.fail("expected ')'");
      this.i++;
    } else values.push(this.value());
    return compare(selector, op, values);
  }

  private value(): string {
    const q = this.s[this.i];
    if (q === '"' || q === "'") {
      const end = this.s.indexOf(q, this.i + 1);
      if (end < 0) this.fail('unterminated quote');
      const v = this.s.slice(this.i + 1, end);
      this.i = end + 1;
      return v;
    }
    const start = this.i;
    while (this.i < this.s.length && !/[\s;,()]/.test(this.s[this.i] as string)) this.i++;
    if (this.i === start) this.fail('expected a value');
    return this.s.slice(start, this.i);
  }
}

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

function cmp(a: string | number, b: string): number {
  const nb = Number(b);
  if (typeof a === 'number' && b !== '' && Number.isFinite(nb)) return a - nb;
  const sa = String(a).toLowerCase();
  const sb = b.toLowerCase();
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function eq(actual: unknown, expected: string): boolean {
  const values = Array.isArray(actual) ? actual : [actual];
  return values.some((raw) => {
    const a = scalar(raw);
    if (a === undefined) return false;
    if (expected.includes('*')) {
      const re = new RegExp(
        `^${expected
          .split('*')
          .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
        'i',
      );
      return re.test(String(a));
    }
    return cmp(a, expected) === 0;
  });
}

function compare(selector: string, op: Op, values: string[]): Pred {
  const v = values[0] as string;
  return (e) => {
    const actual = get(e, selector);
    switch (op) {
      case '==':
        return eq(actual, v);
      case '!=':
        return !eq(actual, v);
      case '=in=':
        return values.some((x) => eq(actual, x));
      case '=out=':
        return !values.some((x) => eq(actual, x));
      case '=lt=':
      case '<':
      case '=le=':
      case '<=':
      case '=gt=':
      case '>':
      case '=ge=':
      case '>=': {
        const a = scalar(actual);
        if (a === undefined) return false;
        const c = cmp(a, v);
        if (op === '=lt=' || op === '<') return c < 0;
        if (op === '=le=' || op === '<=') return c <= 0;
        if (op === '=gt=' || op === '>') return c > 0;
        return c >= 0;
      }
      default: {
        const never: never = op;
        return never;
      }
    }
  };
}

export function parseFiql(q: string): Pred {
  return new Parser(q).parse();
}
