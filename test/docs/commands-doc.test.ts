/**
 * The project documents itself: the README's command table and docs/cli.md name every command the
 * built CLI registers (subcommands of `bundle` and `feedback` too), and no tracked file points to the
 * specification outside the repository.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const cli = join(root, 'dist/src/cli/main.js');

/** Command names from a `--help` output's "Commands:" list. */
function commandsOf(args: string[]): string[] {
  const r = spawnSync(process.execPath, [cli, ...args, '--help'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const list = r.stdout.split('Commands:\n')[1] ?? '';
  return [...list.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]!).filter((name) => name !== 'help');
}

function everyCommand(): string[] {
  const out: string[] = [];
  for (const name of commandsOf([])) {
    const subs = commandsOf([name]);
    if (subs.length === 0) out.push(name);
    else for (const sub of subs) out.push(`${name} ${sub}`);
  }
  return out;
}

describe('command documentation', () => {
  const commands = everyCommand();

  it('finds the commands of the built CLI (the control: the lists below are not empty)', () => {
    expect(commands).toEqual(expect.arrayContaining(['run', 'status', 'bundle create', 'feedback export']));
    expect(commands.length).toBeGreaterThanOrEqual(15);
  });

  it("the README's command table lists every command", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const command of commands) expect(readme, command).toContain(`| \`soup-agent ${command}`);
  });

  it('docs/cli.md lists every command', () => {
    const doc = readFileSync(join(root, 'docs/cli.md'), 'utf8');
    for (const command of commands) expect(doc, command).toMatch(new RegExp(`^\\| \`${command}[ \`]`, 'm'));
  });

  it('no tracked file points to the specification folder outside the repository', () => {
    // spelled in two parts so that this file does not match itself
    const folder = ['shared', ''].join('/');
    const r = spawnSync('git', ['grep', '-n', '-I', folder, '--', '.', ':!package-lock.json'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.stdout).toBe('');
    expect(r.status, 'git grep exits 1 when nothing matches').toBe(1);
    const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' });
    expect(tracked).toContain('README.md');
  });
});
