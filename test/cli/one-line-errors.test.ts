import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const cli = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;

describe('command line errors', () => {
  it('an unknown command is a usage error: exit 2, no stack trace', () => {
    const r = spawnSync(process.execPath, [cli, 'no-such-command'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'no-such-command'/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--version prints the package version', () => {
    const r = spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
