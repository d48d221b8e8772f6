/**
 * Where a JSON text is broken, as a byte offset (`JSON.parse` messages give a character position only
 * sometimes). Scans the UTF-8 bytes iteratively (no recursion, so deeply nested input cannot overflow
 * the stack) and reports the first fault.
 *
 * It also refuses a key that appears twice in one object: `JSON.parse` keeps the last, other parsers
 * (SWUpdate's among them) may keep the first, and a signed file must mean one thing to every reader.
 */

export interface JsonSyntaxFault {
  offset: number;
  message: string;
}

const decoder = new TextDecoder();
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isWs(b: number | undefined): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39;
}

class Fault extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

class Scanner {
  pos = 0;
  constructor(private readonly b: Uint8Array) {}

  ws(): void {
    while (isWs(this.b[this.pos])) this.pos++;
  }

  describe(): string {
    const c = this.b[this.pos];
    if (c === undefined) return 'unexpected end of input';
    return c >= 0x21 && c < 0x7f
      ? `unexpected '${String.fromCharCode(c)}'`
      : `unexpected byte 0x${c.toString(16).padStart(2, '0')}`;
  }

  fail(message = this.describe()): never {
    throw new Fault(this.pos, message);
  }

  expect(byte: number): void {
    if (this.b[this.pos] !== byte) this.fail(`expected '${String.fromCharCode(byte)}', ${this.describe()}`);
    this.pos++;
  }

  string(): void {
    const start = this.pos;
    this.expect(QUOTE);
    for (;;) {
      const c = this.b[this.pos];
      if (c === undefined) throw new Fault(start, 'unterminated string');
      if (c === QUOTE) break;
      if (c < 0x20) this.fail('control character in string');
      if (c === BACKSLASH) {
        this.pos++;
        const e = this.b[this.pos];
        if (e === 0x75) {
          for (let i = 1; i <= 4; i++) {
            const h = this.b[this.pos + i];
            const hex =
              h !== undefined && (isDigit(h) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66));
            if (!hex) {
              this.pos += i;
              this.fail('bad \\u escape');
            }
          }
          this.pos += 4;
        } else if (e === undefined || !'"\\/bfnrt'.includes(String.fromCharCode(e))) {
          this.fail('bad escape in string');
        }
      }
      this.pos++;
    }
    this.pos++;
  }

  number(): void {
    if (this.b[this.pos] === 0x2d) this.pos++;
    if (this.b[this.pos] === 0x30) this.pos++;
    else if (isDigit(this.b[this.pos])) while (isDigit(this.b[this.pos])) this.pos++;
    else this.fail();
    if (this.b[this.pos] === 0x2e) {
      this.pos++;
      if (!isDigit(this.b[this.pos])) this.fail();
      while (isDigit(this.b[this.pos])) this.pos++;
    }
    if (this.b[this.pos] === 0x65 || this.b[this.pos] === 0x45) {
      this.pos++;
      if (this.b[this.pos] === 0x2b || this.b[this.pos] === 0x2d) this.pos++;
      if (!isDigit(this.b[this.pos])) this.fail();
      while (isDigit(this.b[this.pos])) this.pos++;
    }
  }

  literal(word: string): void {
    for (let i = 0; i < word.length; i++) {
      if (this.b[this.pos] !== word.charCodeAt(i)) this.fail();
      this.pos++;
    }
  }

  /** A member key (must be new in `seen`) and its colon, positioned at the value. */
  key(seen: Set<string>): void {
    this.ws();
    if (this.b[this.pos] !== QUOTE) this.fail(`expected a property name, ${this.describe()}`);
    const start = this.pos;
    this.string();
    const name = JSON.parse(decoder.decode(this.b.subarray(start, this.pos))) as string;
    if (seen.has(name)) throw new Fault(start, `duplicate key ${JSON.stringify(name)}`);
    seen.add(name);
    this.ws();
    this.expect(0x3a);
  }

  scan(): void {
    if (this.b[0] === 0xef && this.b[1] === 0xbb && this.b[2] === 0xbf) this.pos = 3; // UTF-8 BOM, as TextDecoder
    const open: number[] = []; // the closing byte of every open container
    const keys: Set<string>[] = []; // the keys seen so far in every open object
    for (;;) {
      // a value
      this.ws();
      const c = this.b[this.pos];
      if (c === 0x7b || c === 0x5b) {
        this.pos++;
        this.ws();
        const close = c === 0x7b ? 0x7d : 0x5d;
        if (this.b[this.pos] === close) {
          this.pos++;
        } else {
          open.push(close);
          if (close === 0x7d) {
            keys.push(new Set());
            this.key(keys.at(-1)!);
          }
          continue;
        }
      } else if (c === QUOTE) this.string();
      else if (c === 0x2d || isDigit(c)) this.number();
      else if (c === 0x74) this.literal('true');
      else if (c === 0x66) this.literal('false');
      else if (c === 0x6e) this.literal('null');
      else this.fail();
      // after a value: close containers, or a comma and the next member
      for (;;) {
        this.ws();
        const close = open.at(-1);
        if (close === undefined) {
          if (this.pos < this.b.length) this.fail('unexpected data after the JSON value');
          return;
        }
        const d = this.b[this.pos];
        if (d === close) {
          this.pos++;
          if (open.pop() === 0x7d) keys.pop();
          continue;
        }
        if (d !== 0x2c) this.fail(`expected ',' or '${String.fromCharCode(close)}', ${this.describe()}`);
        this.pos++;
        if (close === 0x7d) this.key(keys.at(-1)!);
        break;
      }
    }
  }
}

/** The first syntax fault of `bytes` as JSON (or duplicate key), or null when it is well-formed. */
export function jsonSyntaxFault(bytes: Uint8Array): JsonSyntaxFault | null {
  try {
    new Scanner(bytes).scan();
    return null;
  } catch (err) {
    if (err instanceof Fault) return { offset: err.offset, message: err.message };
    throw err;
  }
}
