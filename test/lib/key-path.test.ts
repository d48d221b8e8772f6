/** The one JSON pointer → key path helper. */
import { describe, expect, it } from 'vitest';
import { keyPath } from '../../src/lib/key-path.js';

describe('keyPath', () => {
  it('turns a JSON pointer into a key path, unescaping ~1 and ~0', () => {
    expect(keyPath('')).toBe('');
    expect(keyPath('/modules/local/0/target')).toBe('modules.local[0].target');
    expect(keyPath('/0/name')).toBe('[0].name');
    expect(keyPath('/a~1b/c~0d')).toBe('a/b.c~d');
    expect(keyPath('/modules', 'serial')).toBe('modules.serial');
    expect(keyPath('', 'server')).toBe('server');
  });
});
