/**
 * Dockerfile.armv7, checked without a Docker engine (none is available in CI): dockerfilelint, the base
 * images, what each stage copies, and what the runtime image holds and runs as.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const dockerfile = readFileSync(`${root}Dockerfile.armv7`, 'utf8');
/** Instructions with their continuation lines joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .filter((l) => l.trim() !== '' && !l.startsWith('#'));
const stages: string[][] = [];
for (const line of instructions) {
  if (line.startsWith('FROM ')) stages.push([]);
  stages.at(-1)?.push(line);
}
const runtime = stages.at(-1) ?? [];

describe('Dockerfile.armv7', () => {
  it('passes dockerfilelint', () => {
    const bin = `${root}node_modules/.bin/dockerfilelint`;
    const r = spawnSync(bin, [`${root}Dockerfile.armv7`], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toMatch(/Issues: None found/);
    expect(r.status).toBe(0);
  });

  it('builds and runs on the Node.js 24 armv7 images only', () => {
    const bases = stages.map((s) => s[0]!.split(/\s+/)[1]);
    expect(bases).toEqual(['arm32v7/node:24-bookworm-slim', 'arm32v7/node:24-bookworm-slim']);
  });

  it('installs the locked dependencies with npm ci, never npm install', () => {
    expect(instructions.some((l) => /^RUN .*\bnpm ci\b/.test(l))).toBe(true);
    expect(instructions.filter((l) => /\bnpm (install|i)\b/.test(l))).toEqual([]);
  });

  it('copies only what exists in the repository, and no benchmarks or tests', () => {
    const sources = instructions
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from'))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(`${root}${source}`), source).toBe(true);
      expect(source, source).not.toMatch(/^(bench|test)\b/);
    }
  });

  it('the runtime image: built sources only, no socat or compilers, a non-root user', () => {
    const copied = runtime.filter((l) => l.startsWith('COPY --from=build')).map((l) => l.split(/\s+/)[2]);
    expect(copied).toEqual([
      '/src/package.json',
      '/src/node_modules',
      '/src/dist/src',
      '/src/dist/console',
      '/src/schemas',
    ]);
    const runtimeText = runtime.join('\n');
    expect(runtimeText).not.toMatch(/\b(socat|g\+\+|make|python3|bench|vitest)\b/);
    const users = runtime.filter((l) => l.startsWith('USER '));
    expect(users).toEqual(['USER soup-agent']);
    // the user is made in the image, before USER, in dialout for serial ports
    expect(runtimeText).toMatch(/useradd --system --uid 10001 --gid soup-agent --groups dialout/);
    expect(runtime.indexOf('USER soup-agent')).toBeGreaterThan(
      runtime.findIndex((l) => l.includes('useradd')),
    );
  });

  it('the health check fails when the daemon does not run (status --running, exit 3)', () => {
    const health = runtime.find((l) => l.startsWith('HEALTHCHECK'));
    expect(health).toMatch(
      /CMD \["soup-agent", "status", "--running", "-c", "\/etc\/soup-agent\/config\.json"\]$/,
    );
  });
});
