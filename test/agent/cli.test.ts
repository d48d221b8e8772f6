/** The agent's commands as a user runs them: the built CLI in a child process. */
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;

function setup(extra: Record<string, unknown> = {}): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'soup-cli-'));
  const config = join(dir, 'config.json');
  // a trust store with one public key: `run` refuses an empty one before it starts
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  writeFileSync(
    join(dir, 'trust.json'),
    JSON.stringify({ keys: [{ ...jwk, kid: 'k1', alg: 'ES256', use: 'sig' }] }),
  );
  writeFileSync(
    config,
    JSON.stringify({
      // nothing listens on port 9 of loopback: polls fail fast
      server: {
        url: 'http://127.0.0.1:9',
        tenant: 'T',
        controllerId: 'gw-cli',
        auth: { targetToken: 'tok' },
      },
      dataDir: join(dir, 'data'),
      trust: { keys: join(dir, 'trust.json') },
      modules: {
        local: [
          {
            name: 'gateway',
            gateway: true,
            handler: 'rawfile',
            target: join(dir, 'slot.img'),
            attributes: { 'module-id': 'gw' },
          },
        ],
      },
      polling: { errorBaseMs: 60000, errorCapMs: 60000 },
      ...extra,
    }),
  );
  return { dir, config };
}

const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });

describe('agent commands', () => {
  it('a bad configuration: exit 2, one line naming the key path', () => {
    const { config } = setup({ consent: 'maybe' });
    for (const cmd of ['run', 'status']) {
      const r = run([cmd, '-c', config]);
      expect(r.status).toBe(2);
      expect(r.stderr.trim()).toBe('soup-agent: config: consent must be one of always, whenAsked, never');
    }
    const viaEnv = run(['status'], { SOUP_AGENT_CONFIG: join(setup().dir, 'missing.json') });
    expect(viaEnv.status).toBe(2);
    expect(viaEnv.stderr).toMatch(/^soup-agent: config: cannot read .*missing\.json \(ENOENT\)\n$/);
  });

  it('status works without a daemon and without any state yet (--json shape of agent.md)', () => {
    const { config } = setup();
    const r = run(['status', '--json', '-c', config]);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(s)).toEqual(
      expect.arrayContaining([
        'agent',
        'backend',
        'modules',
        'installedRecipe',
        'update',
        'lastResult',
        'pendingFeedback',
      ]),
    );
    expect(s).toMatchObject({
      agent: { running: false, pid: null },
      backend: { url: 'http://127.0.0.1:9', tenant: 'T', controllerId: 'gw-cli', lastPollAt: null },
      installedRecipe: null,
      update: null,
      lastResult: null,
      pendingFeedback: 0,
    });
    const human = run(['status', '-c', config]);
    expect(human.stdout).toMatch(/^gateway {3}gw-cli \(agent .*not running\)/);
  });

  it('check without a daemon exits 3; consent with nothing pending exits 1', () => {
    const { config } = setup();
    const c = run(['check', '-c', config]);
    expect(c.status).toBe(3);
    expect(c.stderr).toMatch(/daemon is not running/);
    const k = run(['consent', 'accept', '-c', config]);
    expect(k.status).toBe(1);
    expect(k.stderr.trim()).toBe('soup-agent: consent: no consent request is pending');
    expect(run(['consent', 'maybe', '-c', config]).status).toBe(2);
  });

  it('report --json works without a daemon: the gateway with its facts', () => {
    const { config } = setup();
    const r = run(['report', '--json', '-c', config]);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as {
      gatewayId: string;
      modules: { id: string; type: string; attributes: Record<string, string> }[];
    };
    expect(report.gatewayId).toBe('gw-cli');
    expect(report.modules[0]).toMatchObject({ id: 'gw-cli', type: 'gateway' });
    expect(Object.keys(report.modules[0]?.attributes ?? {})).toEqual(
      expect.arrayContaining(['os', 'arch', 'agentVersion']),
    );
  });

  it('run: serves check and status while running; SIGTERM → exit 0', async () => {
    const { dir, config } = setup();
    const child = spawn(process.execPath, [cli, 'run', '-c', config], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const deadline = Date.now() + 30_000;
    while (!stderr.includes('agent started') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toContain('agent started');
    const check = run(['check', '-c', config]);
    expect(check.status).toBe(0);
    const status = JSON.parse(run(['status', '--json', '-c', config]).stdout) as {
      agent: { running: boolean; pid: number };
    };
    expect(status.agent).toMatchObject({ running: true, pid: child.pid });
    // a second daemon on the same dataDir refuses to start, in one line, and leaves the first alone
    const second = run(['run', '-c', config]);
    expect(second.status).toBe(1);
    expect(second.stderr.trim()).toBe(
      `soup-agent: another soup-agent (pid ${child.pid}) is running on dataDir ${join(dir, 'data')}: stop it first`,
    );
    expect(run(['check', '-c', config]).status).toBe(0);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
