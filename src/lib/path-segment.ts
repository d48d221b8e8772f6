/**
 * The one way an id or a file name from outside (the backend, a bundle, a recipe file, an upload)
 * becomes a component of a path: an action's folder, an artifact's file, a bundle entry, an entry of
 * server-lite's artifact store.
 *
 * Refused (SoupError SOUP_E_PATH, one line): the empty string, `.`, `..`, any `/` or `\`, NUL, a
 * string that is not well-formed UTF-16 (a lone surrogate would encode like U+FFFD), and a name whose
 * encoding is longer than MAX_SEGMENT.
 *
 * Everything else maps to a segment of `[a-z0-9_-]` and `%XX` escapes (the UTF-8 bytes of any other
 * character, upper-case hex). `.`, `%` and upper-case letters are always escaped, so:
 *   - the mapping is injective: two different names never share a segment (`decodePathSegment` inverts
 *     it), also on a case-insensitive file system (literal letters are lower case, escape hex upper case);
 *   - a segment never holds a `.`: suffixes a writer appends (`.part`, `.part.json`, `.soup-new`) and
 *     segments joined with `~` (`pathSegments`) can never equal another segment.
 * Ids on the Install API are decimal strings, which map to themselves.
 */
import { SoupError } from './errors.js';

/** Longest segment produced: a file name may have 255 bytes; the rest is room for suffixes. */
export const MAX_SEGMENT = 200;

const LITERAL = /^[a-z0-9_-]$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const encoder = new TextEncoder();

function refuse(what: string, value: string, why: string): never {
  const shown = value.length > 64 ? `${JSON.stringify(value.slice(0, 64))}…` : JSON.stringify(value);
  throw new SoupError('SOUP_E_PATH', `${what} ${shown} cannot name a file: ${why}`);
}

/** The path segment for `value`; `what` names it in the error (`artifact id`, `action id`…). */
export function pathSegment(value: string, what = 'name'): string {
  if (value === '') refuse(what, value, 'it is empty');
  if (value === '.' || value === '..') refuse(what, value, 'it is a relative folder');
  if (/[/\\]/.test(value)) refuse(what, value, 'it holds a path separator');
  if (value.includes('\u0000')) refuse(what, value, 'it holds a NUL character');
  if (LONE_SURROGATE.test(value)) refuse(what, value, 'it holds a lone UTF-16 surrogate');
  let out = '';
  for (const ch of value) {
    if (LITERAL.test(ch)) out += ch;
    else for (const byte of encoder.encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    if (out.length > MAX_SEGMENT) refuse(what, value, `it encodes to more than ${MAX_SEGMENT} characters`);
  }
  return out;
}

/** One segment for several names (a DDI chunk's part and an artifact's file name): joined with `~`. */
export function pathSegments(values: string[], what = 'name'): string {
  const out = values.map((v) => pathSegment(v, what)).join('~');
  if (out.length > MAX_SEGMENT)
    refuse(what, values.join('/'), `it encodes to more than ${MAX_SEGMENT} characters`);
  return out;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The name a segment encodes, or undefined when `segment` is not exactly what `pathSegment` makes. */
export function decodePathSegment(segment: string): string | undefined {
  if (segment.length === 0 || segment.length > MAX_SEGMENT || !/^(?:[a-z0-9_-]|%[0-9A-F]{2})+$/.test(segment))
    return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < segment.length; ) {
    if (segment[i] === '%') {
      bytes.push(Number.parseInt(segment.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      bytes.push(segment.charCodeAt(i));
      i += 1;
    }
  }
  let value: string;
  try {
    value = decoder.decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
  try {
    return pathSegment(value) === segment ? value : undefined;
  } catch {
    return undefined;
  }
}
