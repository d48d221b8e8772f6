/**
 * Plain hawkBit DDI v1 resources, so a stock hawkBit client (SWUpdate suricatta, rauc-hawkbit-updater)
 * works unchanged: `deploymentBase/{id}` (+ feedback), `installedBase/{id}`, `cancelAction/{id}`
 * (+ feedback), `PUT configData`, `confirmationBase` (+ auto-confirm), and the artifact resources
 * `softwaremodules/{id}/artifacts[/{fileName}[.MD5SUM]]` (GET, HEAD, Range, ETag = quoted SHA-1).
 * Shapes as in hawkBit's DDI documentation (fixtures in the contract); feedback and configData answer 200.
 */
import { join } from 'node:path';
import { pathSegment } from '../../lib/path-segment.js';
import type { Ctx } from '../app.js';
import { authenticateGateway } from '../auth/install-auth.js';
import { LIFECYCLES, visibleTo } from '../domain/lifecycle.js';
import { type MaintenanceWindow, windowState } from '../domain/maintenance-window.js';
import { readJson } from '../http/body.js';
import { notFound } from '../http/errors.js';
import { sendJson } from '../http/respond.js';
import { get, head, post, put, type Route } from '../http/route.js';
import { contentDisposition, serveFile } from '../http/serve-file.js';
import { checkShape, type JsonSchema } from '../http/shape.js';
import { type ActionRow, feedbackOf, findAction, moduleInActionsOf } from '../store/actions.js';
import { type ArtifactRow, moduleArtifacts, storedArtifactNamed } from '../store/artifacts.js';
import { setModuleParts } from '../store/distribution-sets.js';
import { moduleInFileOf } from '../store/recipes.js';
import { visibleMetadata } from '../store/software-modules.js';
import { setAttributes, setAutoConfirm, type GatewayRow as TargetRow } from '../store/targets.js';
import { parseFeedback, recordFeedback } from './feedback.js';
import { artifactLinks, controllerUrl } from './links.js';

const BASE = '/:tenant/controller/v1/:controllerId';

function actionOf(ctx: Ctx, t: TargetRow, kind?: ActionRow['kind']): ActionRow {
  const raw = ctx.params.actionId ?? '';
  const a = /^\d{1,15}$/.test(raw) ? findAction(ctx.app.db, Number(raw)) : undefined;
  if (!a || a.target_id !== t.id || (kind && a.kind !== kind))
    throw notFound('action.notFound', `action ${raw} does not exist`);
  return a;
}

function artifactJson(ctx: Ctx, a: ArtifactRow) {
  return {
    filename: a.filename,
    hashes: { sha1: a.sha1, md5: a.md5, sha256: a.sha256 },
    size: a.size,
    _links: artifactLinks(ctx, a.module_id, a.filename),
  };
}

function chunksOf(ctx: Ctx, dsId: number) {
  return setModuleParts(ctx.app.db, dsId).map((m) => {
    const artifacts = moduleArtifacts(ctx.app.db, m.id, true);
    const metadata = visibleMetadata(ctx.app.db, m.id);
    return {
      part: m.key,
      version: m.version,
      name: m.name,
      artifacts: artifacts.map((a) => artifactJson(ctx, a)),
      ...(metadata.length > 0 ? { metadata } : {}),
    };
  });
}

function actionHistory(ctx: Ctx, a: ActionRow) {
  const raw = ctx.query.get('actionHistory');
  if (raw === null) return undefined;
  const n = Number(raw);
  const rows = feedbackOf(ctx.app.db, a.id, true);
  const messages = rows.flatMap((r) => {
    const f = JSON.parse(r.body) as { status?: { execution?: string; details?: string[] } };
    return f.status?.details?.length ? f.status.details : [`execution: ${f.status?.execution ?? 'unknown'}`];
  });
  const status =
    a.status === 'canceled'
      ? 'CANCELED'
      : a.status === 'open'
        ? 'RUNNING'
        : a.result === 'failure'
          ? 'ERROR'
          : 'FINISHED';
  return { status, messages: Number.isInteger(n) && n >= 0 ? messages.slice(0, n) : messages };
}

function deploymentJson(ctx: Ctx, a: ActionRow) {
  const handling = JSON.parse(a.handling) as { download: string; update: string };
  const deployment: Record<string, unknown> = { download: handling.download, update: handling.update };
  if (a.maintenance_window) {
    const w = JSON.parse(a.maintenance_window) as MaintenanceWindow;
    deployment.maintenanceWindow = windowState(w, ctx.app.clock.now()).available
      ? 'available'
      : 'unavailable';
  }
  deployment.chunks = chunksOf(ctx, a.ds_id ?? -1);
  const history = actionHistory(ctx, a);
  return { id: String(a.id), deployment, ...(history ? { actionHistory: history } : {}) };
}

/** Artifacts this controller may read: in a set of one of its actions, or in a recipe visible to it. */
function moduleVisible(ctx: Ctx, t: TargetRow, moduleId: number): boolean {
  if (moduleInActionsOf(ctx.app.db, t.id, moduleId)) return true;
  return moduleInFileOf(
    ctx.app.db,
    moduleId,
    LIFECYCLES.filter((l) => visibleTo(l, t.scope)),
  );
}

function moduleIdOf(ctx: Ctx, t: TargetRow): number {
  const raw = ctx.params.moduleId ?? '';
  const id = /^\d{1,15}$/.test(raw) ? Number(raw) : -1;
  if (id < 0 || !moduleVisible(ctx, t, id))
    throw notFound('softwaremodule.notFound', `software module ${raw} does not exist`);
  return id;
}

async function downloadArtifact(ctx: Ctx): Promise<void> {
  const t = authenticateGateway(ctx, false);
  const moduleId = moduleIdOf(ctx, t);
  const name = ctx.params.fileName ?? '';
  const find = (n: string) => storedArtifactNamed(ctx.app.db, moduleId, n);
  const exact = find(name);
  if (!exact && name.endsWith('.MD5SUM')) {
    const a = find(name.slice(0, -'.MD5SUM'.length));
    if (!a) throw notFound('artifact.notFound', `artifact ${name} does not exist`);
    const text = `${a.md5}  ${a.filename}`;
    ctx.res.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'content-disposition': contentDisposition(`${a.filename}.MD5SUM`),
    });
    ctx.res.end(ctx.req.method === 'HEAD' ? undefined : text);
    return;
  }
  if (!exact) throw notFound('artifact.notFound', `artifact ${name} does not exist`);
  await serveFile(ctx.req, ctx.res, {
    path: join(ctx.app.artifactDir, pathSegment(String(exact.id), 'artifact id')),
    size: exact.size,
    etag: `"${exact.sha1}"`,
    filename: exact.filename,
    lastModified: exact.created_at,
  });
}

const CONFIG_DATA: JsonSchema = {
  type: 'object',
  properties: {
    mode: { enum: ['merge', 'replace', 'remove'] },
    data: {
      type: 'object',
      propertyNames: { maxLength: 128 },
      additionalProperties: { type: 'string', maxLength: 128 },
    },
  },
  required: ['data'],
};
const CONFIRMATION: JsonSchema = {
  type: 'object',
  properties: {
    confirmation: { enum: ['confirmed', 'denied'] },
    code: { type: 'integer' },
    details: { type: 'array', items: { type: 'string' } },
  },
  required: ['confirmation'],
};

export const ddiRoutes: Route[] = [
  get(`${BASE}/deploymentBase/:actionId`, (ctx) => {
    const t = authenticateGateway(ctx, false);
    const a = actionOf(ctx, t, 'deployment');
    if (a.status === 'canceled' || a.cancel_requested === 1)
      throw notFound('action.canceled', `action ${a.id} was cancelled`);
    sendJson(ctx.res, 200, deploymentJson(ctx, a));
  }),
  post(`${BASE}/deploymentBase/:actionId/feedback`, async (ctx) => {
    const t = authenticateGateway(ctx, true);
    const f = parseFeedback(await readJson(ctx.req, ctx.app.config.jsonBodyLimit));
    const a = actionOf(ctx, t, 'deployment');
    ctx.app.db.transaction(() =>
      recordFeedback(ctx.app, a, f, 'deployment', false, `controller:${t.controller_id}`),
    )();
    sendJson(ctx.res, 200, {});
  }),
  get(`${BASE}/installedBase/:actionId`, (ctx) => {
    const t = authenticateGateway(ctx, false);
    const a = actionOf(ctx, t, 'deployment');
    if (a.status !== 'finished' || a.result !== 'success')
      throw notFound('action.notFound', `action ${a.id} is not installed`);
    sendJson(ctx.res, 200, deploymentJson(ctx, a));
  }),
  get(`${BASE}/cancelAction/:actionId`, (ctx) => {
    const t = authenticateGateway(ctx, false);
    const a = actionOf(ctx, t);
    if (a.cancel_requested !== 1 && a.status !== 'canceled')
      throw notFound('action.notFound', `action ${a.id} is not being cancelled`);
    sendJson(ctx.res, 200, { id: String(a.id), cancelAction: { stopId: String(a.id) } });
  }),
  post(`${BASE}/cancelAction/:actionId/feedback`, async (ctx) => {
    const t = authenticateGateway(ctx, true);
    const f = parseFeedback(await readJson(ctx.req, ctx.app.config.jsonBodyLimit));
    const a = actionOf(ctx, t);
    ctx.app.db.transaction(() =>
      recordFeedback(ctx.app, a, f, 'cancel', false, `controller:${t.controller_id}`),
    )();
    sendJson(ctx.res, 200, {});
  }),
  put(`${BASE}/configData`, async (ctx) => {
    const t = authenticateGateway(ctx, true);
    const b = checkShape<{ mode?: 'merge' | 'replace' | 'remove'; data: Record<string, string> }>(
      CONFIG_DATA,
      await readJson(ctx.req, ctx.app.config.jsonBodyLimit),
    );
    const current = JSON.parse(t.attributes) as Record<string, string>;
    let next: Record<string, string>;
    switch (b.mode ?? 'merge') {
      case 'merge':
        next = { ...current, ...b.data };
        break;
      case 'replace':
        next = { ...b.data };
        break;
      case 'remove':
        next = Object.fromEntries(Object.entries(current).filter(([k]) => !(k in b.data)));
        break;
    }
    setAttributes(ctx.app.db, t.id, JSON.stringify(next));
    sendJson(ctx.res, 200, {});
  }),
  get(`${BASE}/confirmationBase`, (ctx) => {
    const t = authenticateGateway(ctx, false);
    const active = t.auto_confirm === 1;
    sendJson(ctx.res, 200, {
      autoConfirm: { active },
      _links: active
        ? { deactivateAutoConfirm: { href: controllerUrl(ctx, 'confirmationBase/deactivateAutoConfirm') } }
        : { activateAutoConfirm: { href: controllerUrl(ctx, 'confirmationBase/activateAutoConfirm') } },
    });
  }),
  post(`${BASE}/confirmationBase/activateAutoConfirm`, async (ctx) => {
    const t = authenticateGateway(ctx, true);
    await readJson(ctx.req, ctx.app.config.jsonBodyLimit);
    setAutoConfirm(ctx.app.db, t.id, true);
    sendJson(ctx.res, 200, {});
  }),
  post(`${BASE}/confirmationBase/deactivateAutoConfirm`, (ctx) => {
    const t = authenticateGateway(ctx, true);
    setAutoConfirm(ctx.app.db, t.id, false);
    sendJson(ctx.res, 200, {});
  }),
  get(`${BASE}/confirmationBase/:actionId`, (ctx) => {
    const t = authenticateGateway(ctx, false);
    const a = actionOf(ctx, t, 'deployment');
    if (a.status !== 'open') throw notFound('action.notFound', `action ${a.id} awaits no confirmation`);
    sendJson(ctx.res, 200, { ...deploymentJson(ctx, a), confirmation: { status: 'confirmed' } });
  }),
  post(`${BASE}/confirmationBase/:actionId/feedback`, async (ctx) => {
    const t = authenticateGateway(ctx, true);
    const b = checkShape<{ confirmation: 'confirmed' | 'denied'; code?: number; details?: string[] }>(
      CONFIRMATION,
      await readJson(ctx.req, ctx.app.config.jsonBodyLimit),
    );
    const a = actionOf(ctx, t, 'deployment');
    const f = parseFeedback({
      status: {
        execution: 'proceeding',
        result: { finished: 'none' },
        details: [`confirmation: ${b.confirmation}`, ...(b.details ?? [])],
      },
    });
    ctx.app.db.transaction(() =>
      recordFeedback(ctx.app, a, f, 'confirmation', false, `controller:${t.controller_id}`),
    )();
    sendJson(ctx.res, 200, {});
  }),
  get(`${BASE}/softwaremodules/:moduleId/artifacts`, (ctx) => {
    const t = authenticateGateway(ctx, false);
    const moduleId = moduleIdOf(ctx, t);
    const rows = moduleArtifacts(ctx.app.db, moduleId, true);
    sendJson(
      ctx.res,
      200,
      rows.map((a) => artifactJson(ctx, a)),
    );
  }),
  get(`${BASE}/softwaremodules/:moduleId/artifacts/:fileName`, downloadArtifact),
  head(`${BASE}/softwaremodules/:moduleId/artifacts/:fileName`, downloadArtifact),
];
