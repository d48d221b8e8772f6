/**
 * `status`, `check` and `consent` say what they know and nothing else: a user who cannot read the state
 * or reach the daemon gets exit 2 and the reason, never "not running"; members of the daemon's group
 * (here root's group 0, the daemon running as root with the unit's UMask=0027) read the state and reach
 * the control socket, whether or not the daemon runs. `status --running` is the container's health check.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, CLI, cli, countingBackend, type Gateway, gateway, NOBODY } from './agent-fixture.js';

const GROUP_MEMBER = { uid: 65534, gid: 65534, groups: [0] };

let backend: Backend;
let gw: Gateway;
let config: string;
let daemon: ChildProcess | undefined;

async function stopDaemon(): Promise<void> {
  const child = daemon;
  if (child === undefined || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

beforeAll(async () => {
  expect(process.getuid?.(), 'these tests run as root (CI does) to act as other users').toBe(0);
  backend = await countingBackend();
  gw = gateway(backend.url);
  config = gw.config();
});

afterAll(async () => {
  await stopDaemon();
  await backend.close();
  gw.remove();
});

describe('before the daemon ever ran', () => {
  it('status: no state yet is "not running, never polled" (exit 0); check: not running (exit 3)', () => {
    const status = cli(['status', '--json', '-c', config], GROUP_MEMBER);
    expect(status.status, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).agent).toMatchObject({ running: false, pid: null });
    const check = cli(['check', '-c', config], GROUP_MEMBER);
    expect(check.status).toBe(3);
    expect(check.stderr).toBe(
      'soup-agent: check: the daemon is not running (start it with soup-agent run)\n',
    );
    expect(cli(['status', '--running', '-c', config]).status).toBe(3);
  });
});

describe('while the daemon runs', () => {
  beforeAll(async () => {
    daemon = spawn('sh', ['-c', 'umask 0027 && exec "$0" "$@"', process.execPath, CLI, 'run', '-c', config], {
      stdio: 'ignore',
    });
    await backend.firstRequest; // it is up: its report or poll arrived
    // the control socket is served once the loop starts: wait until it answers
    for (let i = 0; cli(['status', '--running', '-c', config]).status !== 0; i++) {
      expect(i, 'the daemon answers on its control socket').toBeLessThan(100);
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  it('the state directory and the control socket are for the daemon and its group only', () => {
    expect(statSync(gw.dataDir).mode & 0o777).toBe(0o750);
    expect(statSync(join(gw.dataDir, 'agent.sock')).mode & 0o777).toBe(0o660);
    expect(statSync(join(gw.dataDir, 'agent-state.db')).mode & 0o777).toBe(0o640);
  });

  it('a member of the group: status shows it running, check asks it to poll', () => {
    const status = cli(['status', '--json', '-c', config], GROUP_MEMBER);
    expect(status.status, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).agent).toMatchObject({ running: true, pid: daemon!.pid });
    const check = cli(['check', '-c', config], GROUP_MEMBER);
    expect(check.stdout).toBe('poll requested\n');
    expect(check.status).toBe(0);
    const alive = cli(['status', '--running', '-c', config], GROUP_MEMBER);
    expect(alive.stdout).toBe(`running, pid ${daemon!.pid}\n`);
  });

  it('another user: status cannot read the state (exit 2), never "not running"', () => {
    const r = cli(['status', '-c', config], NOBODY);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `soup-agent: status: cannot read the agent state: cannot look into ${gw.dataDir} (EACCES); run as root or as a member of the soup-agent group\n`,
    );
  });

  it('another user: check, consent and the health check cannot reach the daemon (exit 2)', () => {
    const reach = `cannot reach the daemon: permission denied on ${join(gw.dataDir, 'agent.sock')} (EACCES); run as root or as a member of the group that owns it`;
    for (const [command, args] of [
      ['check', ['check']],
      ['consent', ['consent', 'accept']],
      ['status', ['status', '--running']],
    ] as const) {
      const r = cli([...args, '-c', config], NOBODY);
      expect(r.stderr, command).toBe(`soup-agent: ${command}: ${reach}\n`);
      expect(r.status, command).toBe(2);
    }
  });
});

describe('after the daemon stopped', () => {
  beforeAll(stopDaemon);

  it('a member of the group may not write the state: consent says so (exit 2)', () => {
    const r = cli(['consent', 'accept', '-c', config], GROUP_MEMBER);
    expect(r.stderr).toMatch(
      new RegExp(
        `^soup-agent: consent: cannot write the agent state in ${gw.dataDir}: .+; run as the daemon's user or root\\n$`,
      ),
    );
    expect(r.status).toBe(2);
  });

  it('a member of the group still reads the state (the daemon is not there to share it)', () => {
    const r = cli(['status', '--json', '-c', config], GROUP_MEMBER);
    expect(r.status, r.stderr).toBe(0);
    const status = JSON.parse(r.stdout);
    expect(status.agent).toMatchObject({ running: false, pid: null });
    expect(status.backend.controllerId).toBe('gw-cli');
    // what the daemon stored: the same as root reads in place (root last: its reading may leave WAL files)
    const asRoot = cli(['status', '--json', '-c', config]);
    expect(asRoot.status).toBe(0);
    expect(status).toEqual(JSON.parse(asRoot.stdout));
  });

  it('the health check fails (exit 3); check says not running (exit 3)', () => {
    const alive = cli(['status', '--running', '-c', config], GROUP_MEMBER);
    expect(alive.stderr).toBe('soup-agent: status: the daemon is not running\n');
    expect(alive.status).toBe(3);
    expect(cli(['check', '-c', config], GROUP_MEMBER).status).toBe(3);
  });

  it('another user: status still cannot read the state (exit 2)', () => {
    const r = cli(['status', '--json', '-c', config], NOBODY);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
  });
});
