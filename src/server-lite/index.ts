/**
 * server-lite: the embedded SOUP backend (`management-api.md`, `install-api.md`). One process, SQLite
 * (WAL) for state, a directory for artifact bytes. `startServerLite` is the entry point for the CLI and
 * for in-process tests; it listens, and `close()` stops it and closes the database.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { type Clock, systemClock } from '../lib/clock.js';
import { SoupError } from '../lib/errors.js';
import { type Logger, silentLogger } from '../lib/log.js';
import type { Jwks } from '../recipe/jws.js';
import type { App } from './app.js';
import { RateLimiter } from './auth/rate-limit.js';
import { type ConfigInput, checkConfig, isLoopback, type ServerLiteConfig } from './config.js';
import { observeWrites } from './console/changes.js';
import { PollRecorder } from './domain/poll-recorder.js';
import { createListener } from './http/server.js';
import { ALL_ROUTES } from './routes.js';
import { migrate } from './store/schema.js';
import { seedDefaults } from './store/seed.js';
import { openSqlite } from './store/sqlite.js';

export type { ServerLiteConfig } from './config.js';

export interface ServerLiteOptions {
  clock?: Clock;
  log?: Logger;
}

export interface ServerLite {
  /** `http(s)://host:port` of the listening socket. */
  url: string;
  port: number;
  tenant: string;
  config: ServerLiteConfig;
  /** For tests and tools in the same process: the database and services. */
  app: App;
  close(): Promise<void>;
}

function readSigners(path: string): Jwks {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new SoupError(
      'SOUP_E_CONFIG',
      `server-lite config signers: cannot read JWKS ${path}: ${(err as Error).message}`,
    );
  }
  if (typeof value !== 'object' || value === null || !Array.isArray((value as Jwks).keys))
    throw new SoupError(
      'SOUP_E_CONFIG',
      `server-lite config signers: ${path} is not a JWKS ({"keys": [...]})`,
    );
  return value as Jwks;
}

export async function startServerLite(
  input: ConfigInput | ServerLiteConfig,
  options: ServerLiteOptions = {},
): Promise<ServerLite> {
  const config = checkConfig(input as Record<string, unknown>);
  if (config.users.length === 0)
    throw new SoupError('SOUP_E_CONFIG', 'server-lite config users: at least one user is needed');
  if (!config.tls && !isLoopback(config.host))
    throw new SoupError(
      'SOUP_E_CONFIG',
      `server-lite config host: refusing to listen on ${config.host} without tls`,
    );
  const clock = options.clock ?? systemClock;
  const log = options.log ?? silentLogger();
  const dataDir = resolve(config.dataDir);
  const artifactDir = join(dataDir, 'artifacts');
  const tmpDir = join(dataDir, 'tmp');
  mkdirSync(artifactDir, { recursive: true });
  mkdirSync(tmpDir, { recursive: true });
  for (const f of readdirSync(tmpDir)) rmSync(join(tmpDir, f), { force: true, recursive: true });
  const signers = config.signers ? readSigners(config.signers) : null;
  const db = openSqlite(join(dataDir, 'server-lite.db'));
  migrate(db);
  seedDefaults(db, clock.now());
  const app: App = {
    db,
    config,
    clock,
    log,
    signers,
    artifactDir,
    tmpDir,
    rateLimiter: new RateLimiter(clock, config.rateLimit),
    polls: new PollRecorder(db),
  };
  const listener = observeWrites(app, createListener(app, ALL_ROUTES));
  let server: Server;
  if (config.tls) {
    const tls = config.tls;
    server = createHttpsServer(
      {
        cert: readFileSync(tls.cert),
        key: readFileSync(tls.key),
        ...(tls.clientCa
          ? { ca: readFileSync(tls.clientCa), requestCert: true, rejectUnauthorized: false }
          : {}),
      },
      listener,
    );
  } else server = createHttpServer(listener);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `${config.tls ? 'https' : 'http'}://${host}:${port}`;
  log.info({ url, dataDir, tenant: config.tenant }, 'server-lite listening');
  const flusher = setInterval(() => {
    try {
      app.polls.flush();
    } catch (err) {
      log.error({ err }, 'writing last poll times failed');
    }
  }, 2000);
  flusher.unref();
  let closed = false;
  return {
    url,
    port,
    tenant: config.tenant,
    config,
    app,
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(flusher);
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      app.polls.flush();
      db.close();
    },
  };
}
