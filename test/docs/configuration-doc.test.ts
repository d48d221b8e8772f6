/**
 * docs/configuration.md is generated from schemas/agent-config.schema.json (scripts/gen-config-doc.mjs):
 * the committed file must be what the generator makes of the committed schema, and every key the schema
 * knows appears in it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const generator = join(root, 'scripts/gen-config-doc.mjs');
const work = mkdtempSync(join(tmpdir(), 'soup-doc-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function gen(args: string[]) {
  return spawnSync(process.execPath, [generator, ...args], { encoding: 'utf8' });
}

describe('docs/configuration.md', () => {
  it('is up to date with the schema (node scripts/gen-config-doc.mjs --check)', () => {
    const r = gen(['--check']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('a schema change makes the committed file stale (the check can fail)', () => {
    const schema = JSON.parse(readFileSync(join(root, 'schemas/agent-config.schema.json'), 'utf8'));
    schema.properties.newKey = { type: 'string', description: 'a key the document does not know yet' };
    const changed = join(work, 'schema.json');
    writeFileSync(changed, JSON.stringify(schema));
    const r = gen(['--check', '--schema', changed]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/configuration\.md is stale: run `node scripts\/gen-config-doc\.mjs`/);
    const out = join(work, 'configuration.md');
    expect(gen(['--schema', changed, '--doc', out]).status).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(
      /^\| `newKey` \| string \|.*a key the document does not know yet \|$/m,
    );
  });

  it('names every key of the schema', () => {
    const doc = readFileSync(join(root, 'docs/configuration.md'), 'utf8');
    for (const key of [
      'server.auth.oauth2.tokenUrl',
      'modules.serial[].baudRate',
      'modules.can[].ecus[].security.key',
      'modules.local[].target',
      'ddi.parts.<name>.module',
      'polling.errorCapMs',
      'update.maxResumes',
      'log.level',
    ]) {
      expect(doc).toContain(`| \`${key}\` |`);
    }
  });
});
