/**
 * `soup-agent run` refuses to start, with one line and exit 2, before it sends anything to the backend,
 * when it could not install any release: an unreadable or empty trust store, a state directory it cannot
 * write, a malformed device path. The backend counts requests; a sound configuration proves it would
 * have seen them.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, CLI, cli, countingBackend, type Gateway, gateway, NOBODY } from './agent-fixture.js';

let backend: Backend;
let gw: Gateway;

beforeAll(async () => {
  // reading as another user needs root to switch to it (root itself ignores file permissions)
  expect(process.getuid?.(), 'these tests run as root (CI does)').toBe(0);
  backend = await countingBackend();
  gw = gateway(backend.url);
});

afterAll(async () => {
  await backend.close();
  gw.remove();
});

/** Runs `run` to its end: the exit is the event that proves no report could follow. */
function refused(config: string, as?: typeof NOBODY) {
  const before = backend.requests.length;
  const r = cli(['run', '-c', config], as);
  expect(r.status, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).not.toMatch(/\bat \S+:\d+/);
  expect(backend.requests.length, 'requests to the backend').toBe(before);
  return lines[0]!;
}

describe('run: preflight before the first report', () => {
  it('a trust store the daemon cannot read', () => {
    chmodSync(gw.trust, 0o600);
    try {
      const line = refused(gw.config({ dataDir: join(gw.dir, 'nobody-data') }), NOBODY);
      expect(line).toBe(`soup-agent: run: trust.keys: ${gw.trust} cannot be read (EACCES)`);
    } finally {
      chmodSync(gw.trust, 0o644);
    }
  });

  it('a trust store that is missing, not JSON, not a JWKS or holds no key', () => {
    const missing = join(gw.dir, 'none.jwks.json');
    expect(refused(gw.config({ trust: { keys: missing } }))).toBe(
      `soup-agent: run: trust.keys: ${missing} cannot be read (ENOENT)`,
    );
    const file = join(gw.dir, 'bad.jwks.json');
    writeFileSync(file, '{"keys": [');
    expect(refused(gw.config({ trust: { keys: file } }))).toMatch(
      new RegExp(`^soup-agent: run: trust.keys: ${file} is not valid JSON \\(`),
    );
    writeFileSync(file, '{"kty": "EC"}');
    expect(refused(gw.config({ trust: { keys: file } }))).toBe(
      `soup-agent: run: trust.keys: ${file} is not a JWKS (no "keys" array)`,
    );
    writeFileSync(file, '{"keys": []}');
    expect(refused(gw.config({ trust: { keys: file } }))).toBe(
      `soup-agent: run: trust.keys: ${file} holds no key with a kid: no recipe signature could verify`,
    );
  });

  it('a dataDir the daemon cannot write', () => {
    const locked = join(gw.dir, 'locked');
    mkdirSync(locked, { mode: 0o755 });
    expect(refused(gw.config({ dataDir: locked }), NOBODY)).toBe(
      `soup-agent: run: dataDir: ${locked} is not writable (EACCES)`,
    );
    const under = join(gw.dir, 'config.json', 'data');
    expect(refused(gw.config({ dataDir: under }))).toBe(
      `soup-agent: run: dataDir: ${under} cannot be created (ENOTDIR)`,
    );
  });

  it('a malformed device path, named by its key path', () => {
    const serial = (path: string) => ({
      modules: { serial: [{ name: 'display', path, baudRate: 115200, protocol: 'smp' }] },
    });
    expect(refused(gw.config(serial('ttyUSB0')))).toBe(
      'soup-agent: run: modules.serial[0].path: "ttyUSB0" is not an absolute path',
    );
    expect(refused(gw.config(serial('/dev/ttyUSB0/')))).toBe(
      'soup-agent: run: modules.serial[0].path: "/dev/ttyUSB0/" ends with "/" (a directory, not a device)',
    );
    expect(refused(gw.config(serial('/dev/../ttyUSB0')))).toBe(
      'soup-agent: run: modules.serial[0].path: "/dev/../ttyUSB0" has a "." or ".." segment',
    );
    const can = (bus: string) => ({
      modules: { can: [{ bus, bitrate: 500000, ecus: [{ name: 'brake', txId: '0x7e0', rxId: '0x7e8' }] }] },
    });
    expect(refused(gw.config(can('slcan:dev/ttyACM0')))).toBe(
      'soup-agent: run: modules.can[0].bus: "dev/ttyACM0" is not an absolute path',
    );
    expect(refused(gw.config(can('can_interface_name_too_long')))).toBe(
      'soup-agent: run: modules.can[0].bus: "can_interface_name_too_long" is longer than a network interface name can be (15 bytes)',
    );
    const raw = {
      modules: { local: [{ name: 'rootfs', handler: 'raw', target: '/dev//mmcblk0p2' }] },
    };
    expect(refused(gw.config(raw))).toBe(
      'soup-agent: run: modules.local[0].target: "/dev//mmcblk0p2" has an empty segment ("//")',
    );
  });

  it('a sound configuration starts and reaches the backend (the control for the cases above)', async () => {
    const before = backend.requests.length;
    const child = spawn(process.execPath, [CLI, 'run', '-c', gw.config()], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const first = await Promise.race([backend.firstRequest, exited.then((code) => `exited with ${code}`)]);
      expect(first).toMatch(/^(GET|PUT) \/DEFAULT\/controller\/v1\/gw-cli/);
      expect(backend.requests.length).toBeGreaterThan(before);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
