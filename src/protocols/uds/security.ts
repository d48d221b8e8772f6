/**
 * SecurityAccess key functions from the configuration (`agent.md`, `security.key`):
 *
 *   xor:<mask>     key = seed XOR mask (mask hex, repeated over the seed) — simulators and benches
 *   module:<path>  an ES module exporting `key(seed: Uint8Array, level: number): Uint8Array`
 *                  (sync or async) — the OEM algorithm stays outside the project
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SoupError } from '../../lib/errors.js';
import type { KeyFunction } from './client.js';

export function xorKey(maskHex: string): KeyFunction {
  const mask = parseHexBytes(maskHex);
  return (seed) => seed.map((b, i) => b ^ mask[i % mask.length]!);
}

export function parseHexBytes(text: string): Uint8Array {
  const hex = text.trim().replace(/^0x/i, '');
  if (hex.length === 0 || !/^[0-9a-fA-F]+$/.test(hex)) throw new RangeError(`"${text}" is not a hex number`);
  const even = hex.length % 2 ? `0${hex}` : hex;
  return Uint8Array.from(even.match(/../g)!.map((h) => Number.parseInt(h, 16)));
}

/** Resolves a `security.key` setting to a key function; `where` names the key path for errors. */
export async function loadKeyFunction(spec: string, where = 'security.key'): Promise<KeyFunction> {
  const colon = spec.indexOf(':');
  const scheme = colon < 0 ? spec : spec.slice(0, colon);
  const value = colon < 0 ? '' : spec.slice(colon + 1);
  switch (scheme) {
    case 'xor':
      try {
        return xorKey(value);
      } catch (err) {
        throw new SoupError('SOUP_E_CONFIG', `${where}: ${(err as Error).message}`);
      }
    case 'module': {
      if (!value) throw new SoupError('SOUP_E_CONFIG', `${where}: module: needs a path`);
      const path = isAbsolute(value) ? value : resolve(value);
      let mod: { key?: unknown; default?: { key?: unknown } };
      try {
        mod = (await import(pathToFileURL(path).href)) as typeof mod;
      } catch (err) {
        throw new SoupError(
          'SOUP_E_CONFIG',
          `${where}: cannot load ${path}: ${(err as Error).message.split('\n')[0]}`,
        );
      }
      const fn = typeof mod.key === 'function' ? mod.key : mod.default?.key;
      if (typeof fn !== 'function')
        throw new SoupError('SOUP_E_CONFIG', `${where}: ${path} does not export key(seed, level)`);
      const key = fn as (seed: Uint8Array, level: number) => unknown;
      return async (seed, level) => {
        const out = await key(seed, level);
        if (!(out instanceof Uint8Array)) throw new Error(`${path}: key() did not return a Uint8Array`);
        return out;
      };
    }
    default:
      throw new SoupError('SOUP_E_CONFIG', `${where}: "${spec}" is neither xor:<mask> nor module:<path>`);
  }
}
