/** Poll timing (`agent.md` step 1): sleep parsing, jitter, exponential back-off, Retry-After. Owner: agent-net. */
import { notBuilt } from '../../lib/errors.js';

/** `HH:MM:SS` or ISO-8601 duration (`P1DT2H`) → milliseconds; throws SoupError on anything else. */
export function parsePollingSleep(_value: string): number {
  return notBuilt('polling sleep');
}

/** `Retry-After` (seconds or HTTP date) → milliseconds from `now`, or undefined when absent/invalid. */
export function parseRetryAfter(_value: string | undefined, _now: number): number | undefined {
  return notBuilt('Retry-After');
}

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** 0..1: the delay is multiplied by a factor in [1 - jitter, 1 + jitter]. */
  jitter: number;
  random?: () => number;
}

/** Exponential back-off with a cap and jitter; `reset()` after a success. */
export class Backoff {
  constructor(readonly options: BackoffOptions) {}

  next(): number {
    return notBuilt('back-off');
  }

  reset(): void {
    notBuilt('back-off');
  }
}
