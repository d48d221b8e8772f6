import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const dockerfile = readFileSync(`${root}Dockerfile.armv7`, 'utf8');

describe('Dockerfile.armv7', () => {
  it('passes dockerfilelint', () => {
    const bin = `${root}node_modules/.bin/dockerfilelint`;
    const r = spawnSync(bin, [`${root}Dockerfile.armv7`], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).not.toMatch(/Issues: [1-9]/);
    expect(r.status).toBe(0);
  });

  it('builds on armv7 base images only', () => {
    const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(bases.length).toBeGreaterThan(1);
    for (const base of bases) expect(base).toMatch(/^arm32v7\/node:20-/);
  });

  it('copies only what exists in the repository', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(existsSync(`${root}${source}`), source).toBe(true);
  });
});
