/** At most `n` tasks at a time (parallel artifact downloads); the others wait in call order. Owner: agent-net. */
import { SoupError } from '../../lib/errors.js';

export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

export function createLimiter(n: number): Limiter {
  if (!Number.isInteger(n) || n < 1) {
    throw new SoupError('SOUP_E_CONFIG', `concurrency limit must be a whole number ≥ 1, got ${n}`);
  }
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    running -= 1;
    const next = waiting.shift();
    if (next) {
      running += 1;
      next();
    }
  };
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running < n) running += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      release();
    }
  };
}
