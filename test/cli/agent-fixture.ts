/**
 * A gateway set-up for command-line tests: a temporary directory others may enter (commands run as
 * other users too; removed by the test that made it), a trusted key pair made by `soup-agent keygen`, a configuration, and a loopback
 * HTTP backend that counts the agent's requests.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `soup-agent ARGS`, as root or, with `as`, through setpriv as another uid and groups. */
export function cli(args: string[], as?: { uid: number; gid: number; groups?: number[] }): CliResult {
  const command = [process.execPath, CLI, ...args];
  const r =
    as === undefined
      ? spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', timeout: 60_000 })
      : spawnSync(
          'setpriv',
          [
            `--reuid=${as.uid}`,
            `--regid=${as.gid}`,
            as.groups === undefined ? '--clear-groups' : `--groups=${as.groups.join(',')}`,
            '--',
            ...command,
          ],
          // another user has a temp directory of its own, not this file's private temp root
          { encoding: 'utf8', timeout: 60_000, env: { ...process.env, TMPDIR: sharedTmp() } },
        );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** nobody: no group of the daemon's. */
export const NOBODY = { uid: 65534, gid: 65534 };

export interface Backend {
  url: string;
  requests: string[];
  /** Resolves at the first request (the positive control of "no request was made"). */
  firstRequest: Promise<string>;
  close(): Promise<void>;
}

export async function countingBackend(): Promise<Backend> {
  const requests: string[] = [];
  let first: (url: string) => void = () => {};
  const firstRequest = new Promise<string>((resolve) => {
    first = resolve;
  });
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    first(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(503, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    firstRequest,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Gateway {
  dir: string;
  dataDir: string;
  trust: string;
  /** Writes `config.json` (the base configuration with `patch` over it) and returns its path. */
  config(patch?: Record<string, unknown>): string;
  remove(): void;
}

/** The temp directory every user may use (test/helpers/temp-root.ts gives each file a private one). */
function sharedTmp(): string {
  return process.env.SOUP_TEST_TMP_BASE ?? tmpdir();
}

export function gateway(url: string): Gateway {
  // other users must reach it: the shared temp directory, not this file's private (0700) temp root
  const dir = mkdtempSync(join(sharedTmp(), 'soup-cli-'));
  chmodSync(dir, 0o755);
  const keys = join(dir, 'keys');
  const made = cli(['keygen', '--kid', 'k1', '--out', keys]);
  if (made.status !== 0) throw new Error(`keygen failed: ${made.stderr}`);
  chmodSync(keys, 0o755);
  const trust = join(keys, 'k1.jwks.json');
  chmodSync(trust, 0o644);
  const dataDir = join(dir, 'data');
  return {
    dir,
    dataDir,
    trust,
    config(patch = {}) {
      const file = join(dir, 'config.json');
      const base = {
        server: { url, tenant: 'DEFAULT', controllerId: 'gw-cli', auth: { targetToken: 'tok' } },
        dataDir,
        trust: { keys: trust },
        modules: {},
        polling: { defaultSleepMs: 600000, errorBaseMs: 600000, errorCapMs: 600000 },
      };
      writeFileSync(file, JSON.stringify({ ...base, ...patch }));
      chmodSync(file, 0o644);
      return file;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
