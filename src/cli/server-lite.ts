/**
 * `soup-agent server-lite [--port N] [--host H] [--data DIR] [-c FILE]`: the embedded backend.
 * Once listening it prints one JSON line to stdout, `{"ready":true,"url":…,"tenant":…}`, preceded by
 * `{"admin":{"name":"admin","password":…}}` when it generated the admin user (no users configured; the
 * password is kept in the data directory and printed only when first generated). Logs go to stderr
 * (pino). SIGTERM/SIGINT close the server and exit 0.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SoupError } from '../lib/errors.js';
import { createLogger } from '../lib/log.js';
import { checkConfig, readConfigFile, type UserConfig, withGeneratedAdmin } from '../server-lite/config.js';
import { startServerLite } from '../server-lite/index.js';

interface Flags {
  port?: string;
  host?: string;
  data?: string;
  config?: string;
}

function portOf(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535)
    throw new SoupError('SOUP_E_CONFIG', `--port ${raw}: must be an integer from 0 to 65535`);
  return n;
}

/** A generated admin survives restarts of the same data directory. */
function generatedAdmin(dataDir: string, fresh: UserConfig): { user: UserConfig; isNew: boolean } {
  const file = join(dataDir, 'generated-admin.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as UserConfig;
    return { user: saved, isNew: false };
  }
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(fresh)}\n`, { mode: 0o600 });
  return { user: fresh, isNew: true };
}

export function registerServerLite(program: Command): void {
  program
    .command('server-lite')
    .description('the embedded backend: Management API, Install API, SQLite')
    .option('--port <n>', 'TCP port (0: a free port)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--data <dir>', 'data directory (SQLite database and artifacts)')
    .option('-c, --config <file>', 'JSON configuration file')
    .action(async (flags: Flags) => {
      const fromFile = flags.config ? readConfigFile(flags.config) : {};
      const merged: Record<string, unknown> = { ...fromFile };
      if (flags.port !== undefined) merged.port = portOf(flags.port);
      if (flags.host !== undefined) merged.host = flags.host;
      if (flags.data !== undefined) merged.dataDir = flags.data;
      let config = checkConfig(merged);
      const withAdmin = withGeneratedAdmin(config);
      let announce: UserConfig | null = null;
      if (withAdmin.generated) {
        const { user, isNew } = generatedAdmin(resolve(config.dataDir), withAdmin.generated);
        config = { ...config, users: [user] };
        if (isNew) announce = user;
      }
      const log = createLogger().child({ component: 'server-lite' });
      const server = await startServerLite(config, { log });
      if (announce)
        process.stdout.write(
          `${JSON.stringify({ admin: { name: announce.name, password: announce.password } })}\n`,
        );
      process.stdout.write(`${JSON.stringify({ ready: true, url: server.url, tenant: server.tenant })}\n`);
      await new Promise<void>((done) => {
        const stop = (signal: string) => {
          log.info({ signal }, 'server-lite stopping');
          server.close().then(done, done);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
}
