import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const UNITS = ['soup-agent.service', 'soup-server-lite.service'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'soup-unit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function unitText(name: string): Promise<string> {
  return readFile(join(root, 'systemd', name), 'utf8');
}

/**
 * The unit as `verify` can check it: verify also checks that ExecStart exists, and no soup-agent is
 * installed here, so the command points at this machine's node for the check only.
 */
async function checkable(name: string, sub = ''): Promise<string> {
  const unit = await unitText(name);
  expect(unit).toMatch(/^ExecStart=\/usr\/bin\/soup-agent /m);
  const folder = join(dir, sub);
  await mkdir(folder, { recursive: true });
  const file = join(folder, name);
  await writeFile(file, unit.replace('/usr/bin/soup-agent ', `${process.execPath} `));
  return file;
}

function analyze(args: string[]): { out: string; status: number | null } {
  const r = spawnSync('systemd-analyze', args, { encoding: 'utf8' });
  return { out: `${r.stdout}${r.stderr}`.trim(), status: r.status };
}

/** `systemd-analyze security --offline=true`: the overall exposure figure. */
function exposure(file: string): number {
  const r = analyze(['security', '--offline=true', file]);
  const m = /Overall exposure level for \S+: (\d+\.\d+)/.exec(r.out);
  expect(m, r.out).not.toBeNull();
  return Number(m![1]);
}

describe('systemd units', () => {
  for (const name of UNITS) {
    it(`${name} passes systemd-analyze verify with no output at all (it exits 0 even on unknown keys)`, async () => {
      const r = analyze(['verify', await checkable(name, name)]);
      expect(r.out).toBe('');
      expect(r.status).toBe(0);
    });

    it(`${name} does not restart on a configuration error and names documentation the package ships`, async () => {
      const unit = await unitText(name);
      expect(unit).toMatch(/^RestartPreventExitStatus=2$/m);
      const docs = [
        ...unit.matchAll(/^Documentation=file:\/\/\/usr\/lib\/node_modules\/soup-agent\/(\S+)$/gm),
      ];
      expect(docs.length).toBeGreaterThan(0);
      for (const [, path] of docs) expect(existsSync(join(root, path!)), path).toBe(true);
    });
  }

  it('verify reads what it is given: an unknown key is reported (the control for "no output")', async () => {
    const file = await checkable('soup-agent.service', 'control');
    await writeFile(file, (await readFile(file, 'utf8')).replace('[Service]', '[Service]\nNoSuchKey=1'));
    expect(analyze(['verify', file]).out).toMatch(/Unknown key 'NoSuchKey' in section \[Service\]/);
  });

  it('soup-agent.service is exposed at most 2.0 (systemd-analyze security --offline=true)', async () => {
    const score = exposure(await checkable('soup-agent.service', 'score'));
    expect(score).toBeLessThanOrEqual(2.0);
  });

  it('soup-server-lite.service is exposed at most 2.0 too', async () => {
    expect(exposure(await checkable('soup-server-lite.service', 'score-lite'))).toBeLessThanOrEqual(2.0);
  });

  it('soup-agent.service: a notify service with a watchdog, as the system user soup-agent', async () => {
    const unit = await unitText('soup-agent.service');
    expect(unit).toMatch(/^Type=notify$/m);
    expect(unit).toMatch(/^NotifyAccess=all$/m);
    expect(unit).toMatch(/^WatchdogSec=\d+s$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^User=soup-agent$/m);
    expect(unit).toMatch(/^SupplementaryGroups=dialout$/m);
    expect(unit).toMatch(/^CapabilityBoundingSet=$/m);
    expect(unit).toMatch(/^ProtectSystem=strict$/m);
    expect(unit).toMatch(/^DevicePolicy=closed$/m);
    expect(unit).toMatch(/^UMask=0027$/m);
    expect(unit).toMatch(/^StateDirectoryMode=0750$/m);
  });

  it('the sysusers.d file creates the user, its group and dialout (systemd-sysusers --dry-run)', async () => {
    const text = await unitText('soup-agent.sysusers');
    const r = spawnSync('systemd-sysusers', ['--dry-run', `--root=${dir}`, '-'], {
      input: text,
      encoding: 'utf8',
    });
    const out = `${r.stdout}${r.stderr}`;
    expect(r.status, out).toBe(0);
    expect(out).toMatch(/Creating group 'soup-agent'/);
    expect(out).toMatch(/Creating user 'soup-agent'/);
    expect(out).toMatch(/Creating group 'dialout'/);
    const bad = spawnSync('systemd-sysusers', ['--dry-run', `--root=${dir}`, '-'], {
      input: `${text}x broken -\n`,
      encoding: 'utf8',
    });
    expect(bad.status, 'the control: a bad line fails').not.toBe(0);
  });
});
