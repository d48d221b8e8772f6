import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const unitPath = new URL('../../systemd/soup-agent.service', import.meta.url);

describe('systemd/soup-agent.service', () => {
  it('passes systemd-analyze verify with no output at all (it exits 0 even on unknown keys)', async () => {
    const unit = await readFile(unitPath, 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/soup-agent run /m);
    // verify checks that ExecStart exists: point it at this machine's node for the check only
    const dir = await mkdtemp(join(tmpdir(), 'soup-unit-'));
    try {
      const file = join(dir, 'soup-agent.service');
      await writeFile(file, unit.replace('/usr/bin/soup-agent run', `${process.execPath} run`));
      const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
      expect(r.status).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is a notify service with a watchdog, so a hung agent is restarted', async () => {
    const unit = await readFile(unitPath, 'utf8');
    expect(unit).toMatch(/^Type=notify$/m);
    expect(unit).toMatch(/^NotifyAccess=all$/m);
    expect(unit).toMatch(/^WatchdogSec=\d+s$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
  });
});
