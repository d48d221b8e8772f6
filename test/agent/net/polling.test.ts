import { describe, expect, it } from 'vitest';
import { Backoff, jittered, parsePollingSleep, parseRetryAfter } from '../../../src/agent/net/polling.js';
import { isSoupError } from '../../../src/lib/errors.js';

describe('parsePollingSleep', () => {
  it('reads hawkBit HH:MM:SS', () => {
    expect(parsePollingSleep('00:05:00')).toBe(300_000);
    expect(parsePollingSleep('12:00:01')).toBe(12 * 3_600_000 + 1000);
    expect(parsePollingSleep('00:00:00')).toBe(0);
    expect(parsePollingSleep('48:00:00')).toBe(2 * 86_400_000);
  });

  it('reads ISO-8601 durations', () => {
    expect(parsePollingSleep('P1DT2H')).toBe(86_400_000 + 7_200_000);
    expect(parsePollingSleep('PT30S')).toBe(30_000);
    expect(parsePollingSleep('PT1H30M')).toBe(5_400_000);
    expect(parsePollingSleep('P2D')).toBe(2 * 86_400_000);
    expect(parsePollingSleep('P1W')).toBe(7 * 86_400_000);
    expect(parsePollingSleep('PT0.5S')).toBe(500);
  });

  it.each([
    '',
    '5',
    '00:60:00',
    '1:2:3',
    'P',
    'PT',
    'P1H',
    'P1Y',
    'P1M',
    'PT1X',
    'P1DT',
    '-PT1S',
    'one hour',
  ])('refuses %j with one line naming the field', (value) => {
    let caught: unknown;
    try {
      parsePollingSleep(value);
    } catch (err) {
      caught = err;
    }
    expect(isSoupError(caught, 'SOUP_E_SCHEMA')).toBe(true);
    const message = (caught as Error).message;
    expect(message).toContain('config.polling.sleep');
    expect(message).toContain(JSON.stringify(value));
    expect(message).not.toContain('\n');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-10T12:00:00Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfter('Sat, 10 Jan 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sat, 10 Jan 2026 11:00:00 GMT', now)).toBe(0);
    // obsolete asctime form (RFC 9110 §5.6.7)
    expect(parseRetryAfter('Sat Jan 10 12:01:00 2026', now)).toBe(60_000);
  });

  it('ignores what is absent or malformed', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('2026-01-10', now)).toBeUndefined();
  });
});

describe('Backoff', () => {
  it('doubles from the base up to the cap without jitter, and starts over after reset', () => {
    const b = new Backoff({ baseMs: 100, capMs: 1000, jitter: 0 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('keeps jittered delays within [1-j, 1+j] of the nominal delay and never above the cap', () => {
    const lowest = new Backoff({ baseMs: 1000, capMs: 60_000, jitter: 0.5, random: () => 0 });
    expect(lowest.next()).toBe(500);
    expect(lowest.next()).toBe(1000);
    const highest = new Backoff({ baseMs: 1000, capMs: 3000, jitter: 0.5, random: () => 0.999999 });
    expect(highest.next()).toBe(1500);
    expect(highest.next()).toBe(3000); // 2000 × 1.5 capped
    expect(highest.next()).toBe(3000);
    let seed = 7;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const b = new Backoff({ baseMs: 50, capMs: 10_000, jitter: 0.3, random });
    for (let i = 0; i < 200; i++) {
      const nominal = Math.min(10_000, 50 * 2 ** Math.min(i, 30));
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(Math.floor(nominal * 0.7));
      expect(d).toBeLessThanOrEqual(Math.min(10_000, Math.ceil(nominal * 1.3)));
    }
  });

  it('refuses nonsense options', () => {
    expect(() => new Backoff({ baseMs: 0, capMs: 10, jitter: 0 })).toThrow(/back-off/);
    expect(() => new Backoff({ baseMs: 100, capMs: 10, jitter: 0 })).toThrow(/back-off/);
    expect(() => new Backoff({ baseMs: 1, capMs: 10, jitter: 2 })).toThrow(/jitter/);
  });

  it('jittered() spreads a poll interval symmetrically', () => {
    expect(jittered(1000, 0.1, () => 0)).toBe(900);
    expect(jittered(1000, 0.1, () => 0.5)).toBe(1000);
    expect(jittered(1000, 0.1, () => 1)).toBe(1100);
  });
});
