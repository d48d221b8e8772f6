/** Natural order for version properties (`recipe-file.md`, "Comparing values"). Owner: recipe. */
import { notBuilt } from '../lib/errors.js';

/** Negative when a < b, 0 when equal in natural order (`01.2` == `1.2`), positive when a > b. */
export function naturalCompare(_a: string, _b: string): number {
  return notBuilt('natural order');
}
