/**
 * Natural order for version properties (`recipe-file.md`, "Comparing values").
 *
 * Both strings are split into maximal runs of digits and of non-digits and compared run by run:
 * two digit runs by numeric value (leading zeros stripped, then shorter first, then digit by digit, so
 * any length works), anything else by UTF-16 code units; the string that runs out first is smaller.
 * `1.10 > 1.9`, `3.7.1 < 3.7.10`, `5.1 < 5.1-beta`, `v2 < v10`, `01.2 == 1.2`.
 * No allocation: this runs millions of times in a match job.
 */

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function runEnd(s: string, from: number, digits: boolean): number {
  let i = from;
  while (i < s.length && isDigit(s.charCodeAt(i)) === digits) i++;
  return i;
}

/** Two digit runs `a[i..ie)` and `b[j..je)` by numeric value. */
function compareDigitRuns(a: string, i: number, ie: number, b: string, j: number, je: number): number {
  while (i < ie && a.charCodeAt(i) === 48) i++;
  while (j < je && b.charCodeAt(j) === 48) j++;
  const lengthDiff = ie - i - (je - j);
  if (lengthDiff !== 0) return lengthDiff;
  for (; i < ie; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d;
  }
  return 0;
}

/** Two non-digit runs by UTF-16 code units; a run that is a prefix of the other is smaller. */
function compareTextRuns(a: string, i: number, ie: number, b: string, j: number, je: number): number {
  for (; i < ie && j < je; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d;
  }
  return ie - i - (je - j);
}

/** Negative when a < b, 0 when equal in natural order (`01.2` == `1.2`), positive when a > b. */
export function naturalCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const aDigits = isDigit(a.charCodeAt(i));
    const bDigits = isDigit(b.charCodeAt(j));
    // a digit run against a text run: their first code units differ and decide
    if (aDigits !== bDigits) return a.charCodeAt(i) - b.charCodeAt(j);
    const ie = runEnd(a, i, aDigits);
    const je = runEnd(b, j, bDigits);
    const d = aDigits ? compareDigitRuns(a, i, ie, b, j, je) : compareTextRuns(a, i, ie, b, j, je);
    if (d !== 0) return d;
    i = ie;
    j = je;
  }
  // whichever still has runs left is the larger
  return (i < a.length ? 1 : 0) - (j < b.length ? 1 : 0);
}

/** Equal in natural order (`01.2` equals `1.2`). */
export function naturalEquals(a: string, b: string): boolean {
  return naturalCompare(a, b) === 0;
}
