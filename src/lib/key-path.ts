/**
 * A JSON pointer (RFC 6901) as a key path, the way every validation message names the failing value:
 * `/modules/local/0/target` → `modules.local[0].target`. Apart from the validators (src/lib/json-schema.ts
 * builds them) so that code running generated validators names key paths without loading Ajv.
 */

/** `extra` appends one more key (a missing property). The root is the empty string. */
export function keyPath(pointer: string, extra?: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (extra !== undefined) parts.push(extra);
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}
