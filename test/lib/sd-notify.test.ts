import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSdNotifier } from '../../src/lib/sd-notify.js';

describe('sd_notify', () => {
  it('is inactive and silent outside systemd', async () => {
    const sent: string[][] = [];
    const n = createSdNotifier({}, async (a) => {
      sent.push(a);
    });
    expect(n.active).toBe(false);
    expect(n.watchdogMs).toBeUndefined();
    await n.ready('up');
    expect(sent).toEqual([]);
  });

  it('reads the watchdog interval only when it is meant for this process', () => {
    const ours = createSdNotifier({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '30000000' });
    expect(ours.watchdogMs).toBe(30_000);
    const other = createSdNotifier({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' });
    expect(other.watchdogMs).toBeUndefined();
  });

  it('delivers READY and STATUS as datagrams on NOTIFY_SOCKET through systemd-notify', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'soup-notify-'));
    const socket = join(dir, 'notify');
    const out = join(dir, 'received');
    // socat stands in for systemd: it receives the datagrams and writes them to a file
    const receiver = spawn('sh', ['-c', `exec socat -u UNIX-RECV:${socket} CREATE:${out}`], {
      stdio: 'ignore',
    });
    try {
      for (let i = 0; i < 100; i++) {
        try {
          await readFile(socket);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') break; // exists (reading a socket fails)
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      const notifier = createSdNotifier({ NOTIFY_SOCKET: socket });
      await notifier.ready('polling gw-0001');
      let text = '';
      for (let i = 0; i < 100 && !text.includes('STATUS='); i++) {
        await new Promise((r) => setTimeout(r, 20));
        text = await readFile(out, 'utf8').catch(() => '');
      }
      expect(text).toContain('READY=1');
      expect(text).toContain('STATUS=polling gw-0001');
      expect(text).toContain(`MAINPID=${process.pid}`);
    } finally {
      receiver.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
