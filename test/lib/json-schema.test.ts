/** The one Ajv factory. */
import { describe, expect, it } from 'vitest';
import { createAjv } from '../../src/lib/json-schema.js';

describe('createAjv', () => {
  const schema = {
    type: 'object',
    required: ['n'],
    properties: { n: { type: 'integer', default: 1 }, at: { type: 'string' } },
  };

  it('first fault only and no defaults unless asked', () => {
    const validate = createAjv().compile(schema);
    expect(validate({ n: 'x', at: 1 })).toBe(false);
    expect(validate.errors).toHaveLength(1);
    const all = createAjv({ allErrors: true }).compile(schema);
    expect(all({ n: 'x', at: 1 })).toBe(false);
    expect(all.errors).toHaveLength(2);
    const value: Record<string, unknown> = {};
    expect(createAjv({ useDefaults: true }).compile(schema)(value)).toBe(true);
    expect(value).toEqual({ n: 1 });
  });

  it('formats when asked; strict mode refuses unknown keywords', () => {
    const dated = createAjv({ formats: true }).compile({ type: 'string', format: 'date-time' });
    expect(dated('yesterday')).toBe(false);
    expect(dated('2026-01-01T00:00:00Z')).toBe(true);
    expect(() => createAjv({ strict: true }).compile({ type: 'object', colour: 'red' })).toThrow(
      /unknown keyword/,
    );
  });
});
