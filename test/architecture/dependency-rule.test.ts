/**
 * The dependency check of scripts/test.sh catches what docs/architecture.md forbids: the project's
 * .dependency-cruiser.cjs run by the real dependency-cruiser over small trees in a temporary directory
 * (a clean one, an import up a layer, agent ↔ server-lite, a cycle, src importing a test). scripts/test.sh
 * runs the same check over src/.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A tree of TypeScript files (path → imported paths, NodeNext `.js` specifiers) and the check's result. */
function cruise(files: Record<string, string[]>): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'soup-depcruise-'));
  dirs.push(dir);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }),
  );
  for (const [file, imports] of Object.entries(files)) {
    const path = join(dir, file);
    mkdirSync(dirname(path), { recursive: true });
    const lines = imports.map((to, i) => {
      const rel = `./${join(
        ...Array(file.split('/').length - 1).fill('..'),
        to.replace(/\.ts$/, '.js'),
      )}`.replace('./../', '../');
      return `import { v as v${i} } from '${rel}';\nexport const u${i} = v${i};`;
    });
    writeFileSync(path, `${lines.join('\n')}\nexport const v = 1;\n`);
  }
  const run = spawnSync(process.execPath, [DEPCRUISE, 'src', '--config', CONFIG], {
    cwd: dir,
    encoding: 'utf8',
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('dependency rule (dependency-cruiser)', () => {
  it('a tree that follows the layers passes', () => {
    const r = cruise({
      'src/cli/main.ts': ['src/agent/daemon.ts', 'src/server-lite/index.ts'],
      'src/agent/daemon.ts': ['src/handlers/registry.ts', 'src/lib/clock.ts'],
      'src/handlers/registry.ts': ['src/protocols/smp/client.ts'],
      'src/protocols/smp/client.ts': ['src/lib/clock.ts'],
      'src/server-lite/index.ts': ['src/recipe/match.ts'],
      'src/recipe/match.ts': ['src/lib/clock.ts'],
      'src/lib/clock.ts': [],
    });
    expect(r.output).toContain('no dependency violations found');
    expect(r.status).toBe(0);
  });

  it('an import up a layer fails, naming the rule and the import', () => {
    const r = cruise({
      'src/protocols/smp/client.ts': ['src/agent/daemon.ts'],
      'src/agent/daemon.ts': [],
    });
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('layer-protocols: src/protocols/smp/client.ts → src/agent/daemon.ts');
  });

  it('agent and server-lite never import each other', () => {
    const r = cruise({
      'src/agent/daemon.ts': ['src/server-lite/index.ts'],
      'src/server-lite/index.ts': [],
      'src/server-lite/other.ts': ['src/agent/status.ts'],
      'src/agent/status.ts': [],
    });
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('layer-agent: src/agent/daemon.ts → src/server-lite/index.ts');
    expect(r.output).toContain('layer-server-lite: src/server-lite/other.ts → src/agent/status.ts');
  });

  it('a cycle fails, even inside one layer', () => {
    const r = cruise({
      'src/agent/a.ts': ['src/agent/b.ts'],
      'src/agent/b.ts': ['src/agent/a.ts'],
    });
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('no-circular');
  });

  it('shipped code importing a test, and a folder outside the layers, fail', () => {
    const r = cruise({
      'src/lib/a.ts': ['test/helpers/prng.ts'],
      'test/helpers/prng.ts': [],
      'src/tools/x.ts': ['src/lib/b.ts'],
      'src/lib/b.ts': [],
    });
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('not-to-tests-or-benchmarks: src/lib/a.ts → test/helpers/prng.ts');
    expect(r.output).toContain('no-unplaced-folder: src/tools/x.ts → src/lib/b.ts');
  });
});
