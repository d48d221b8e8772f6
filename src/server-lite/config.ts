/**
 * server-lite configuration (`management-api.md`, "Configuration"): defaults → file → flags, checked once.
 * Errors name the key path and throw SoupError SOUP_E_CONFIG.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SoupError } from '../lib/errors.js';
import { ROLES, type Role } from './auth/roles.js';

export interface UserConfig {
  name: string;
  password: string;
  roles: Role[];
}

export interface ClientConfig {
  clientId: string;
  clientSecret: string;
  scopes: string[];
}

export interface TlsConfig {
  /** PEM file paths. */
  cert: string;
  key: string;
  clientCa?: string | null;
}

export interface ServerLiteConfig {
  port: number;
  host: string;
  /** Base of every `_links` href; else built from the request's Host. */
  publicUrl: string | null;
  dataDir: string;
  tenant: string;
  users: UserConfig[];
  gatewayToken: string | null;
  autoRegister: boolean;
  anonymous: boolean;
  clients: ClientConfig[];
  rateLimit: { getPerMinute: number; writePerMinute: number };
  /** Path of a JWKS file with the keys whose signatures are accepted on upload; null: any JWS is stored. */
  signers: string | null;
  tls: TlsConfig | null;
  pollingSleep: string;
  /** Largest JSON request body in bytes (413 above). */
  jsonBodyLimit: number;
  /** Largest artifact upload in bytes (413 above). */
  artifactLimit: number;
  /** Lifetime of OAuth2 access tokens, seconds. */
  tokenTtlSeconds: number;
}

export const DEFAULT_CONFIG: Omit<ServerLiteConfig, 'users'> = {
  port: 8080,
  host: '127.0.0.1',
  publicUrl: null,
  dataDir: './server-lite-data',
  tenant: 'DEFAULT',
  gatewayToken: null,
  autoRegister: false,
  anonymous: false,
  clients: [],
  rateLimit: { getPerMinute: 1000, writePerMinute: 100 },
  signers: null,
  tls: null,
  pollingSleep: '00:00:30',
  jsonBodyLimit: 1024 * 1024,
  artifactLimit: 2 * 1024 * 1024 * 1024,
  tokenTtlSeconds: 3600,
};

export type ConfigInput = Partial<ServerLiteConfig>;

function fail(path: string, what: string): never {
  throw new SoupError('SOUP_E_CONFIG', `server-lite config ${path}: ${what}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, path: string, nullable = false): string | null {
  if (v === null && nullable) return null;
  if (typeof v !== 'string' || v === '')
    fail(path, nullable ? 'must be a string or null' : 'must be a string');
  return v;
}

function int(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    fail(path, `must be an integer from ${min} to ${max}`);
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(path, 'must be true or false');
  return v;
}

const SLEEP = /^(\d{2}:[0-5]\d:[0-5]\d|P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?)$/;

/** Checks every key of a (merged) configuration object; unknown keys are errors so typos surface. */
export function checkConfig(input: Record<string, unknown>): ServerLiteConfig {
  const known = new Set([...Object.keys(DEFAULT_CONFIG), 'users']);
  for (const k of Object.keys(input)) if (!known.has(k)) fail(k, 'unknown key');
  const c = { ...DEFAULT_CONFIG, users: [], ...input } as Record<string, unknown>;
  const users = c.users;
  if (!Array.isArray(users)) fail('users', 'must be an array');
  const clients = c.clients;
  if (!Array.isArray(clients)) fail('clients', 'must be an array');
  const rate = c.rateLimit;
  if (!isObject(rate)) fail('rateLimit', 'must be an object');
  const tls = c.tls;
  if (tls !== null && !isObject(tls)) fail('tls', 'must be an object or null');
  const sleep = str(c.pollingSleep, 'pollingSleep') as string;
  if (!SLEEP.test(sleep)) fail('pollingSleep', 'must be HH:MM:SS or an ISO-8601 duration');
  return {
    port: int(c.port, 'port', 0, 65535),
    host: str(c.host, 'host') as string,
    publicUrl: str(c.publicUrl, 'publicUrl', true)?.replace(/\/+$/, '') ?? null,
    dataDir: str(c.dataDir, 'dataDir') as string,
    tenant: str(c.tenant, 'tenant') as string,
    users: users.map((u, i) => {
      if (!isObject(u)) fail(`users[${i}]`, 'must be an object');
      const roles = u.roles;
      if (!Array.isArray(roles) || roles.length === 0) fail(`users[${i}].roles`, 'must be a non-empty array');
      roles.forEach((r, j) => {
        if (!ROLES.includes(r as Role)) fail(`users[${i}].roles[${j}]`, `must be one of ${ROLES.join(', ')}`);
      });
      return {
        name: str(u.name, `users[${i}].name`) as string,
        password: str(u.password, `users[${i}].password`) as string,
        roles: roles as Role[],
      };
    }),
    gatewayToken: str(c.gatewayToken, 'gatewayToken', true),
    autoRegister: bool(c.autoRegister, 'autoRegister'),
    anonymous: bool(c.anonymous, 'anonymous'),
    clients: clients.map((cl, i) => {
      if (!isObject(cl)) fail(`clients[${i}]`, 'must be an object');
      const scopes = cl.scopes ?? ['install'];
      if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string'))
        fail(`clients[${i}].scopes`, 'must be an array of strings');
      return {
        clientId: str(cl.clientId, `clients[${i}].clientId`) as string,
        clientSecret: str(cl.clientSecret, `clients[${i}].clientSecret`) as string,
        scopes: scopes as string[],
      };
    }),
    rateLimit: {
      getPerMinute: int(rate.getPerMinute ?? 1000, 'rateLimit.getPerMinute', 1, 10_000_000),
      writePerMinute: int(rate.writePerMinute ?? 100, 'rateLimit.writePerMinute', 1, 10_000_000),
    },
    signers: str(c.signers, 'signers', true),
    tls:
      tls === null
        ? null
        : {
            cert: str(tls.cert, 'tls.cert') as string,
            key: str(tls.key, 'tls.key') as string,
            clientCa: str(tls.clientCa ?? null, 'tls.clientCa', true),
          },
    pollingSleep: sleep,
    jsonBodyLimit: int(c.jsonBodyLimit, 'jsonBodyLimit', 1024, 1024 * 1024 * 1024),
    artifactLimit: int(c.artifactLimit, 'artifactLimit', 1, Number.MAX_SAFE_INTEGER),
    tokenTtlSeconds: int(c.tokenTtlSeconds, 'tokenTtlSeconds', 10, 7 * 24 * 3600),
  };
}

/** Reads a JSON config file; errors name the file and the byte offset or key. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SoupError('SOUP_E_CONFIG', `cannot read server-lite config ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SoupError('SOUP_E_CONFIG', `server-lite config ${path} is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(value))
    throw new SoupError('SOUP_E_CONFIG', `server-lite config ${path} must be a JSON object`);
  return value;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

/** No users configured: one `admin` with a random password, reported back so the caller prints it once. */
export function withGeneratedAdmin(config: ServerLiteConfig): {
  config: ServerLiteConfig;
  generated: UserConfig | null;
} {
  if (config.users.length > 0) return { config, generated: null };
  const admin: UserConfig = {
    name: 'admin',
    password: randomBytes(12).toString('base64url'),
    roles: ['ADMIN'],
  };
  return { config: { ...config, users: [admin] }, generated: admin };
}
