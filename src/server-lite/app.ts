/** What every route handler gets: the database, the configuration, the clock, the logger and helpers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { Jwks } from '../recipe/jws.js';
import type { RateLimiter } from './auth/rate-limit.js';
import type { Role } from './auth/roles.js';
import type { ServerLiteConfig } from './config.js';
import type { PollRecorder } from './domain/poll-recorder.js';
import type { Database } from './store/sqlite.js';

export interface App {
  db: Database;
  config: ServerLiteConfig;
  clock: Clock;
  log: Logger;
  /** Trusted signer keys from `signers`, or null (any well-formed JWS is stored). */
  signers: Jwks | null;
  artifactDir: string;
  tmpDir: string;
  rateLimiter: RateLimiter;
  polls: PollRecorder;
}

export interface User {
  name: string;
  roles: Role[];
}

export interface Ctx {
  app: App;
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string | undefined>;
  query: URLSearchParams;
}

export type Handler = (ctx: Ctx) => Promise<void> | void;

/** The absolute base for `_links`: the configured public URL, else scheme + the request's Host. */
export function baseUrl(ctx: Ctx): string {
  if (ctx.app.config.publicUrl) return ctx.app.config.publicUrl;
  const tls = (ctx.req.socket as { encrypted?: boolean }).encrypted === true;
  const host = ctx.req.headers.host ?? `${ctx.app.config.host}:${ctx.app.config.port}`;
  return `${tls ? 'https' : 'http'}://${host}`;
}

export function mgmtUrl(ctx: Ctx, path: string): string {
  return `${baseUrl(ctx)}/rest/v1/${path}`;
}
