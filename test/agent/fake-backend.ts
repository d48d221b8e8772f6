/**
 * A small SOUP Install API on 127.0.0.1 for the agent's integration tests (update runner, poller,
 * daemon; the real server-lite is used by test/e2e/). It serves one system update action (and its
 * cancel, when `cancelRequested`) and records what the agent sends; feedback is idempotent by
 * feedbackId and a closed action answers 410, as install-api.md says.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RecipeFile, SystemReport } from '../../src/recipe/types.js';

export interface FakeAction {
  id: string;
  recipe: { id: string; name: string; version: string };
  file: Buffer;
  signatures: string[];
  artifacts: Map<string, Buffer>;
  handling?: { download: string; update: string };
  maintenanceWindow?: { schedule: string; duration: string; timezone: string; nextStartAt: number };
}

export interface Feedback {
  feedbackId: string;
  status: {
    execution: string;
    result: { finished: string; progress?: { cnt: number; of: number } };
    details?: string[];
  };
  phase?: string;
  modules?: { module: string; definition: string; state: string; details?: string[] }[];
}

export interface FakeBackend {
  url: string;
  action: FakeAction | undefined;
  closed: boolean;
  wantReport: boolean;
  /** Answer system reports with 400 (a report this backend will not take). */
  refuseReport: boolean;
  /** `config.polling.sleep` of the root poll. */
  sleep: string;
  reports: SystemReport[];
  /** Distinct feedback, in arrival order. */
  feedback: Feedback[];
  /** The server wants the action cancelled (cancelAction link). */
  cancelRequested: boolean;
  cancelFeedback: Feedback[];
  /** A plain DDI action awaiting confirmation (confirmationBase link), with one chunk. */
  ddi:
    | { id: string; part: string; version: string; bytes: Buffer; confirmed?: string; feedback: Feedback[] }
    | undefined;
  /** Every POST, duplicates included. */
  posts: number;
  requests: string[];
  close(): Promise<void>;
}

const BASE = '/T/controller/v1/gw';

async function readBody(req: IncomingMessage): Promise<string> {
  let s = '';
  for await (const c of req) s += c;
  return s;
}

export async function startFakeBackend(): Promise<FakeBackend> {
  let server: Server;
  const state: FakeBackend = {
    url: '',
    action: undefined,
    closed: false,
    wantReport: true,
    refuseReport: false,
    sleep: '00:00:01',
    reports: [],
    feedback: [],
    cancelRequested: false,
    ddi: undefined,
    cancelFeedback: [],
    posts: 0,
    requests: [],
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  server = createServer(async (req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    state.requests.push(`${req.method} ${path}`);
    const json = (status: number, value?: unknown) => {
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(value === undefined ? '' : JSON.stringify(value));
    };
    if (req.headers.authorization !== 'TargetToken tok')
      return json(401, { errorCode: 'auth', message: 'no' });
    const a = state.action;
    const url = state.url;
    if (req.method === 'GET' && path === BASE) {
      const links: Record<string, { href: string }> = {};
      if (state.wantReport) links.systemReport = { href: `${url}${BASE}/systemReport` };
      if (a !== undefined && !state.closed)
        links.systemUpdate = { href: `${url}${BASE}/systemUpdate/${a.id}` };
      if (a !== undefined && state.cancelRequested)
        links.cancelAction = { href: `${url}${BASE}/cancelAction/${a.id}` };
      return json(200, { config: { polling: { sleep: state.sleep } }, _links: links });
    }
    if (req.method === 'PUT' && path === `${BASE}/systemReport`) {
      if (state.refuseReport) return json(400, { errorCode: 'report.invalid', message: 'no' });
      state.reports.push(JSON.parse(await readBody(req)) as SystemReport);
      state.wantReport = false;
      return json(204);
    }
    const d = state.ddi;
    if (d !== undefined) {
      const chunk = {
        part: d.part,
        version: d.version,
        name: 'os image',
        artifacts: [
          {
            filename: 'os.bin',
            hashes: { sha256: createHash('sha256').update(d.bytes).digest('hex') },
            size: d.bytes.length,
            _links: { download: { href: `${url}${BASE}/softwaremodules/1/artifacts/os.bin` } },
          },
        ],
      };
      if (req.method === 'GET' && path === `${BASE}/confirmationBase/${d.id}`) {
        return json(200, {
          id: d.id,
          confirmation: { download: 'forced', update: 'forced', chunks: [chunk] },
        });
      }
      if (req.method === 'POST' && path === `${BASE}/confirmationBase/${d.id}/feedback`) {
        d.confirmed = (JSON.parse(await readBody(req)) as { confirmation: string }).confirmation;
        return json(200);
      }
      if (req.method === 'GET' && path === `${BASE}/softwaremodules/1/artifacts/os.bin`) {
        res.setHeader('content-length', String(d.bytes.length));
        return res.end(d.bytes);
      }
      if (req.method === 'POST' && path === `${BASE}/deploymentBase/${d.id}/feedback`) {
        d.feedback.push(JSON.parse(await readBody(req)) as Feedback);
        return json(200);
      }
    }
    if (a === undefined) return json(404, { errorCode: 'none', message: 'no action' });
    if (req.method === 'GET' && path === `${BASE}/systemUpdate/${a.id}`) {
      return json(200, {
        id: a.id,
        recipe: { ...a.recipe, lifecycle: 'RELEASED', published: '2026-11-20T10:00:00Z' },
        handling: a.handling ?? { download: 'forced', update: 'forced' },
        ...(a.maintenanceWindow === undefined ? {} : { maintenanceWindow: a.maintenanceWindow }),
        _links: {
          recipeFile: { href: `${url}${BASE}/recipes/${a.recipe.id}/file` },
          signatures: { href: `${url}${BASE}/recipes/${a.recipe.id}/signatures` },
          feedback: { href: `${url}${BASE}/systemUpdate/${a.id}/feedback` },
        },
      });
    }
    if (req.method === 'GET' && path === `${BASE}/recipes/${a.recipe.id}/file`) {
      res.setHeader('etag', `"${createHash('sha256').update(a.file).digest('hex')}"`);
      res.setHeader('content-type', 'application/json');
      return res.end(a.file);
    }
    if (req.method === 'GET' && path === `${BASE}/recipes/${a.recipe.id}/signatures`) {
      return json(200, {
        signatures: a.signatures.map((value, i) => ({ id: String(i + 1), format: 'jws', value })),
      });
    }
    const art = /^\/T\/controller\/v1\/gw\/artifacts\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && art !== null) {
      const bytes = a.artifacts.get(decodeURIComponent(art[1] ?? ''));
      if (bytes === undefined) return json(404, { errorCode: 'none', message: 'no artifact' });
      res.setHeader('accept-ranges', 'bytes');
      res.setHeader('etag', `"${createHash('sha256').update(bytes).digest('hex')}"`);
      res.setHeader('content-length', String(bytes.length));
      return res.end(bytes);
    }
    if (req.method === 'GET' && path === `${BASE}/cancelAction/${a.id}`) {
      return json(200, { id: a.id, cancelAction: { stopId: a.id } });
    }
    if (req.method === 'POST' && path === `${BASE}/cancelAction/${a.id}/feedback`) {
      const fb = JSON.parse(await readBody(req)) as Feedback;
      state.cancelFeedback.push(fb);
      if (fb.status.execution === 'closed') state.closed = true;
      return json(200);
    }
    if (req.method === 'POST' && path === `${BASE}/systemUpdate/${a.id}/feedback`) {
      state.posts++;
      const fb = JSON.parse(await readBody(req)) as Feedback;
      if (state.feedback.some((f) => f.feedbackId === fb.feedbackId)) return json(200);
      if (state.closed) return json(410, { errorCode: 'closed', message: 'action closed' });
      state.feedback.push(fb);
      if (fb.status.execution === 'closed' || fb.status.execution === 'rejected') {
        state.closed = true;
        state.wantReport = true;
      }
      return json(200);
    }
    return json(404, { errorCode: 'none', message: `no route ${req.method} ${path}` });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

export interface ImageSpec {
  module: string;
  match: Record<string, unknown>;
  type: string;
  version: string;
  bytes: Buffer;
  artifactId: string;
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A recipe file with one image per spec and `_noImage` definitions for the rest. */
export function recipeFile(
  images: ImageSpec[],
  noImage: { module: string; match: Record<string, unknown> }[] = [],
  scripts: { id: string; type: string; bytes: Buffer }[] = [],
): RecipeFile {
  return {
    _recipe: {
      id: '42',
      'schema-version': '1.0',
      name: 'fleet-A',
      description: 'test recipe',
      published: '2026-11-20T10:00:00Z',
      versionProperties: ['hwVersion', 'swVersion'],
    },
    software: {
      version: '2.1.0',
      ...(scripts.length === 0
        ? {}
        : {
            scripts: scripts.map((s) => ({
              id: s.id,
              type: s.type,
              byteSize: s.bytes.length,
              filename: `${s.id}.sh`,
              sha256: sha256(s.bytes),
            })),
          }),
      images: images.map((i) => ({
        _module: { name: i.module, description: '', match: i.match, matchCount: { count: { $eq: 1 } } },
        _software: {
          softwareId: `7${i.artifactId}`,
          name: `${i.module}-fw`,
          artifacts: [
            {
              id: i.artifactId,
              type: 'firmware',
              byteSize: i.bytes.length,
              filename: `${i.module}.bin`,
              sha256: sha256(i.bytes),
            },
          ],
        },
        type: i.type,
        filename: `${i.module}.bin`,
        version: i.version,
        sha256: sha256(i.bytes),
      })),
      _noImage: noImage.map((n) => ({
        _module: { name: n.module, description: '', match: n.match, matchCount: { count: { $eq: 1 } } },
      })),
      ...(scripts.length === 0
        ? {}
        : {
            _systemArtifacts: [
              {
                softwareId: '79',
                name: 'scripts',
                artifacts: scripts.map((s) => ({
                  id: s.id,
                  type: s.type,
                  byteSize: s.bytes.length,
                  filename: `${s.id}.sh`,
                  sha256: sha256(s.bytes),
                })),
              },
            ],
          }),
    },
  };
}
