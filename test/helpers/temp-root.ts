/**
 * Setup file of every vitest project: each test file gets a temp root of its own, set as TMPDIR for
 * itself and every process it starts, and removed when the file's tests are done. Whatever a test
 * forgets to remove (temp dirs, ptys, images, the data of the processes it spawned) goes with it.
 * `SOUP_TEST_KEEP_TMP=1` keeps the roots (and the logs in them) for a look after a failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

// a worker may run several files: the base is the TMPDIR it started with, not the previous file's root
const base = process.env.SOUP_TEST_TMP_BASE ?? tmpdir();
process.env.SOUP_TEST_TMP_BASE = base;
const root = mkdtempSync(join(base, 'soup-test-'));
process.env.TMPDIR = root;

afterAll(() => {
  if (process.env.SOUP_TEST_KEEP_TMP === '1') console.error(`temp root kept: ${root}`);
  else rmSync(root, { recursive: true, force: true });
});
