/**
 * Test harness for server-lite: a real server on 127.0.0.1 (port 0) with a real SQLite file in a
 * temporary directory, one user per role, and small HTTP clients for the Management and Install APIs.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import type { Clock } from '../../src/lib/clock.js';
import type { ConfigInput } from '../../src/server-lite/config.js';
import { type ServerLite, startServerLite } from '../../src/server-lite/index.js';

export const USERS = {
  admin: { name: 'admin', password: 'admin-pw', roles: ['ADMIN'] as const },
  reader: { name: 'reader', password: 'reader-pw', roles: ['READ'] as const },
  modules: { name: 'modules', password: 'modules-pw', roles: ['MODULE_RESPONSIBLE'] as const },
  systems: { name: 'systems', password: 'systems-pw', roles: ['SYSTEM_RESPONSIBLE'] as const },
  approver: { name: 'approver', password: 'approver-pw', roles: ['APPROVER'] as const },
};
export type UserKey = keyof typeof USERS;

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test replies are inspected field by field
  json: any;
  bytes: Buffer;
}

export interface Harness {
  server: ServerLite;
  dir: string;
  url: string;
  mgmt(user?: UserKey | null): Client;
  gateway(controllerId: string, authorization: string | null): Client;
  stop(): Promise<void>;
  restart(extra?: ConfigInput): Promise<void>;
}

export interface Client {
  get(path: string, headers?: Record<string, string>): Promise<Reply>;
  head(path: string, headers?: Record<string, string>): Promise<Reply>;
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  put(path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  del(path: string): Promise<Reply>;
  raw(method: string, path: string, body: string | Buffer, headers: Record<string, string>): Promise<Reply>;
}

async function call(
  method: string,
  url: string,
  auth: string | null,
  body: string | Buffer | undefined,
  headers: Record<string, string>,
): Promise<Reply> {
  const res = await request(url, {
    method: method as 'GET',
    headers: { ...(auth ? { authorization: auth } : {}), ...headers },
    body,
  });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  const text = bytes.toString('utf8');
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json, bytes };
}

function client(base: string, auth: string | null): Client {
  const jsonCall = (method: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
    call(
      method,
      `${base}${path}`,
      auth,
      body === undefined ? undefined : JSON.stringify(body),
      body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    );
  return {
    get: (path, headers) => jsonCall('GET', path, undefined, headers),
    head: (path, headers) => jsonCall('HEAD', path, undefined, headers),
    post: (path, body, headers) => jsonCall('POST', path, body, headers),
    put: (path, body, headers) => jsonCall('PUT', path, body, headers),
    del: (path) => jsonCall('DELETE', path, undefined),
    raw: (method, path, body, headers) => call(method, `${base}${path}`, auth, body, headers),
  };
}

export function basic(user: UserKey): string {
  const u = USERS[user];
  return `Basic ${Buffer.from(`${u.name}:${u.password}`).toString('base64')}`;
}

export async function startHarness(extra: ConfigInput = {}, clock?: Clock): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'server-lite-test-'));
  const config = (more: ConfigInput): ConfigInput => ({
    port: 0,
    host: '127.0.0.1',
    dataDir: join(dir, 'data'),
    users: Object.values(USERS).map((u) => ({ ...u, roles: [...u.roles] })),
    ...extra,
    ...more,
  });
  let first: ServerLite;
  try {
    first = await startServerLite(config({}), clock ? { clock } : {});
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const h: Harness = {
    server: first,
    dir,
    get url() {
      return h.server.url;
    },
    mgmt: (user = 'admin') => client(`${h.server.url}/rest/v1/`, user === null ? null : basic(user)),
    gateway: (cid, authorization) => client(`${h.server.url}/DEFAULT/controller/v1/${cid}`, authorization),
    stop: async () => {
      await h.server.close();
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async (more = {}) => {
      await h.server.close();
      h.server = await startServerLite(config(more), clock ? { clock } : {});
    },
  };
  return h;
}

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
export const sha1 = (b: Buffer | string) => createHash('sha1').update(b).digest('hex');
export const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

/** A software module with one uploaded artifact and a complete firmware distribution set holding it. */
export async function makeSet(
  h: Harness,
  name: string,
  version: string,
  bytes: Buffer,
  filename = `${name}-${version}.bin`,
): Promise<{ moduleId: number; artifactId: number; setId: number }> {
  const m = h.mgmt('modules');
  const sm = await m.post('softwaremodules', [{ name, version, type: 'firmware', vendor: 'ACME' }]);
  if (sm.status !== 201) throw new Error(`module: ${sm.status} ${sm.text}`);
  const moduleId = sm.json[0].id as number;
  const up = await m.raw(
    'POST',
    `softwaremodules/${moduleId}/artifacts?filename=${encodeURIComponent(filename)}`,
    bytes,
    {
      'content-type': 'application/octet-stream',
    },
  );
  if (up.status !== 201) throw new Error(`artifact: ${up.status} ${up.text}`);
  const ds = await m.post('distributionsets', [{ name, version, modules: [{ id: moduleId }] }]);
  if (ds.status !== 201) throw new Error(`set: ${ds.status} ${ds.text}`);
  return { moduleId, artifactId: up.json.id, setId: ds.json[0].id };
}

export function gatewayReport(cid: string, swVersion: string, more: object[] = []) {
  return {
    timestamp: '2026-11-22T10:00:00Z',
    gatewayId: cid,
    modules: [
      {
        id: cid,
        type: 'gateway',
        name: 'gateway',
        attributes: { 'module-id': 'gw', swVersion, os: 'Debian 12' },
      },
      ...more,
    ],
  };
}

export function gatewayRecipe(name: string, version: string, setId: number, extra: object = {}) {
  return {
    name,
    version,
    description: `${name} ${version}`,
    modules: [
      {
        name: 'gateway',
        description: 'the gateway itself',
        match: 'attributes.module-id==gw',
        count: 'count==1',
        distributionSetId: setId,
        metadata: { imageType: 'rawfile' },
      },
    ],
    ...extra,
  };
}
