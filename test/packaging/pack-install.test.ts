/**
 * The package as a gateway gets it: `npm pack` (which builds first, `prepack`) on a copy of the working
 * tree, the tarball installed into a temporary prefix (`npm install -g --prefix`, dependencies from the
 * registry or the npm cache), and the installed command run from there: `--version`, `report` on the
 * shipped example configurations, `systemd-dropin`, and the whole `demo`.
 *
 * The copy keeps `prepack` (which rebuilds dist/src) away from the working tree other tests run from.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'soup-pack-'));
const prefix = join(work, 'prefix');
const installed = join(prefix, 'lib/node_modules/soup-agent');
const bin = join(prefix, 'bin/soup-agent');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
let files: string[] = [];
const log: string[] = [];

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(command, args, {
    cwd: options.cwd ?? work,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  log.push(`$ ${[command, ...args].join(' ')} → ${r.status}`);
  return r;
}

beforeAll(() => {
  // the working tree as git sees it (tracked and new files, nothing ignored), node_modules linked for tsc
  const copy = join(work, 'copy');
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  });
  for (const path of listed.split('\0').filter((p) => p !== '' && p !== 'node_modules' && p !== '.tools')) {
    mkdirSync(dirname(join(copy, path)), { recursive: true });
    try {
      cpSync(join(root, path), join(copy, path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // deleted, not yet committed
    }
  }
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
  const out = join(work, 'out');
  mkdirSync(out);
  const pack = run('npm', ['pack', '--json', '--pack-destination', out], { cwd: copy });
  expect(pack.status, pack.stderr).toBe(0);
  const [info] = JSON.parse(pack.stdout) as {
    filename: string;
    size: number;
    unpackedSize: number;
    files: { path: string }[];
  }[];
  files = info!.files.map((f) => f.path);
  log.push(
    `packed ${info!.filename}: ${files.length} files, ${info!.size} bytes (${info!.unpackedSize} unpacked)`,
  );
  const install = run('npm', [
    'install',
    '--global',
    '--prefix',
    prefix,
    '--prefer-offline',
    '--no-audit',
    '--no-fund',
    join(out, info!.filename),
  ]);
  expect(install.status, install.stderr).toBe(0);
}, 1_200_000);

afterAll(() => {
  console.log(log.join('\n'));
  rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships the built command, schemas, units, examples, docs and the licence', () => {
    for (const needed of [
      'dist/src/cli/main.js',
      'dist/src/agent/daemon.js',
      'dist/console/index.html',
      'schemas/agent-config.schema.json',
      'schemas/recipe-file.schema.json',
      'systemd/soup-agent.service',
      'systemd/soup-agent.sysusers',
      'systemd/soup-server-lite.service',
      'examples/config.json',
      'examples/config-local.json',
      'docs/install.md',
      'docs/configuration.md',
      'LICENSE',
      'README.md',
      'package.json',
    ]) {
      expect(files, needed).toContain(needed);
    }
  });

  it('ships no tests, benchmarks, TypeScript sources, source maps or development scripts', () => {
    const unwanted = files.filter((f) =>
      /^(test|bench|src|scripts|dist\/bench|\.ci)\/|\.map$|\.ts$|^tsconfig|^biome|^vitest/.test(f),
    );
    expect(unwanted).toEqual([]);
  });
});

describe('the installed package', () => {
  it('soup-agent --version', () => {
    const r = run(bin, ['--version']);
    expect(r.stdout.trim()).toBe(version);
    expect(r.status).toBe(0);
  });

  it('soup-agent report on the example configuration of the gateway alone', () => {
    const r = run(bin, ['report', '--json', '-c', join(installed, 'examples/config-local.json')], {
      env: { SOUP_AGENT_DATA_DIR: join(work, 'data-local') },
    });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      modules: { id: string; name: string; attributes: Record<string, string> }[];
    };
    expect(report.modules.map((m) => m.name)).toEqual(['gateway']);
    expect(report.modules[0]!.attributes).toMatchObject({ 'module-id': 'gw', agentVersion: version });
  });

  it('soup-agent report on the full example: modules absent from this machine are unreachable (exit 1)', () => {
    const r = run(bin, ['report', '-c', join(installed, 'examples/config.json')], {
      env: { SOUP_AGENT_DATA_DIR: join(work, 'data-full') },
    });
    expect(r.stdout).toMatch(/^ {2}gateway +gw-0001 +gateway +module-id=gw/m);
    expect(r.stdout).toMatch(/^ {2}display +gw-0001\/display +\S+ +UNREACHABLE$/m);
    expect(r.stdout).toMatch(/^ {2}brake +gw-0001\/brake +\S+ +UNREACHABLE$/m);
    expect(r.stderr).toBe('soup-agent: report: discovery failed for brake, display\n');
    expect(r.status).toBe(1);
  });

  it('soup-agent systemd-dropin on the full example asks for SocketCAN only', () => {
    const r = run(bin, ['systemd-dropin', '-c', join(installed, 'examples/config.json')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([
      '[Service]',
      'RestrictAddressFamilies=AF_CAN',
    ]);
  });

  it('soup-agent demo: the whole update, end to end', () => {
    const r = run(bin, ['demo']);
    expect(r.stdout, r.stderr).toMatch(/^The system update succeeded\.$/m);
    expect(r.status).toBe(0);
  }, 300_000);
});
