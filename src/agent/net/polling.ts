/**
 * Poll timing (`agent.md` step 1): sleep parsing, jitter, exponential back-off, Retry-After.
 *
 * `config.polling.sleep` is `HH:MM:SS` (hawkBit) or, from one day up, an ISO-8601 duration (`P1DT2H`,
 * `PT30S`, `P1W`). Years and months have no fixed length and are refused.
 */
import { SoupError } from '../../lib/errors.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const CLOCK_FORMAT = /^(\d{1,4}):([0-5]\d):([0-5]\d)$/;
const NUMBER = '(\\d+(?:[.,]\\d+)?)';
const ISO_FORMAT = new RegExp(
  `^P(?:${NUMBER}Y)?(?:${NUMBER}M)?(?:${NUMBER}W)?(?:${NUMBER}D)?(?:T(?:${NUMBER}H)?(?:${NUMBER}M)?(?:${NUMBER}S)?)?$`,
);

function invalidSleep(value: string, why: string): never {
  throw new SoupError(
    'SOUP_E_SCHEMA',
    `config.polling.sleep: ${JSON.stringify(value)} ${why} (expected HH:MM:SS or an ISO-8601 duration like P1DT2H)`,
    { detail: { value } },
  );
}

function isoPart(text: string | undefined, unitMs: number): number {
  return text === undefined ? 0 : Number(text.replace(',', '.')) * unitMs;
}

/** `HH:MM:SS` or ISO-8601 duration (`P1DT2H`) → milliseconds; throws SoupError on anything else. */
export function parsePollingSleep(value: string): number {
  const trimmed = value.trim();
  const clock = CLOCK_FORMAT.exec(trimmed);
  if (clock) {
    const [, h, m, s] = clock;
    return Number(h) * HOUR + Number(m) * MINUTE + Number(s) * SECOND;
  }
  const iso = ISO_FORMAT.exec(trimmed);
  if (!iso || trimmed === 'P' || trimmed.endsWith('T')) invalidSleep(value, 'is not a duration');
  const [, y, mo, w, d, h, m, s] = iso;
  if (y !== undefined || mo !== undefined)
    invalidSleep(value, 'uses years or months, which have no fixed length');
  return Math.round(
    isoPart(w, 7 * DAY) + isoPart(d, DAY) + isoPart(h, HOUR) + isoPart(m, MINUTE) + isoPart(s, SECOND),
  );
}

const HTTP_DATE =
  /^[A-Za-z]{3},? \d{1,2}[ -][A-Za-z]{3}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT$|^[A-Za-z]{3} [A-Za-z]{3} +\d{1,2} \d{2}:\d{2}:\d{2} \d{4}$/;

/** `Retry-After` (seconds or HTTP date) → milliseconds from `now`, or undefined when absent/invalid. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * SECOND;
  if (!HTTP_DATE.test(trimmed)) return undefined;
  const at = Date.parse(trimmed.includes('GMT') ? trimmed : `${trimmed} GMT`);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** 0..1: the delay is multiplied by a factor in [1 - jitter, 1 + jitter]. */
  jitter: number;
  random?: () => number;
}

/** Exponential back-off with a cap and jitter; `reset()` after a success. Never returns more than `capMs`. */
export class Backoff {
  private attempt = 0;

  constructor(readonly options: BackoffOptions) {
    if (!(options.baseMs > 0) || !(options.capMs >= options.baseMs)) {
      throw new SoupError(
        'SOUP_E_CONFIG',
        `back-off: need 0 < baseMs <= capMs, got ${options.baseMs}/${options.capMs}`,
      );
    }
    if (!(options.jitter >= 0 && options.jitter <= 1)) {
      throw new SoupError('SOUP_E_CONFIG', `back-off: jitter must be within 0..1, got ${options.jitter}`);
    }
  }

  /** The delay before the next attempt: base·2ⁿ capped, times the jitter factor, capped again. */
  next(): number {
    const { baseMs, capMs, jitter } = this.options;
    const random = this.options.random ?? Math.random;
    const raw = Math.min(capMs, baseMs * 2 ** this.attempt);
    if (raw < capMs) this.attempt += 1;
    const factor = 1 + jitter * (2 * random() - 1);
    return Math.round(Math.min(capMs, raw * factor));
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Spreads a regular poll interval by ±`jitter` (0..1) so a fleet does not poll in lock-step. */
export function jittered(ms: number, jitter: number, random: () => number = Math.random): number {
  return Math.max(0, Math.round(ms * (1 + jitter * (2 * random() - 1))));
}
