/**
 * `softwaremodules/{id}/artifacts`: upload (multipart `file` or raw body with `?filename=`; md5, sha1,
 * sha256 and size computed while streaming to disk; declared hashes that differ → 400), list, get,
 * download, delete. Bytes live in `<dataDir>/artifacts/<artifactId>`: never a client-chosen path.
 */
import { renameSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathSegment } from '../../lib/path-segment.js';
import { type Ctx, mgmtUrl } from '../app.js';
import { requireRole } from '../auth/basic.js';
import { receiveUpload } from '../domain/artifact-upload.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import { sendEmpty, sendJson } from '../http/respond.js';
import { del, get, post, type Route } from '../http/route.js';
import { serveFile } from '../http/serve-file.js';
import { pathId } from '../http/shape.js';
import {
  type ArtifactRow,
  artifactNameTaken,
  deleteArtifact,
  findArtifact,
  findModuleArtifact,
  insertArtifact,
  moduleArtifacts,
} from '../store/artifacts.js';
import { artifactInAnyFile } from '../store/recipes.js';
import { auditOf } from './audit.js';
import { loadModule } from './software-modules.js';

export type { ArtifactRow } from '../store/artifacts.js';

export function artifactJson(ctx: Ctx, a: ArtifactRow) {
  return {
    id: a.id,
    filename: a.filename,
    hashes: { md5: a.md5, sha1: a.sha1, sha256: a.sha256 },
    size: a.size,
    ...auditOf(a),
    _links: {
      self: { href: mgmtUrl(ctx, `softwaremodules/${a.module_id}/artifacts/${a.id}`) },
      download: { href: mgmtUrl(ctx, `softwaremodules/${a.module_id}/artifacts/${a.id}/download`) },
    },
  };
}

export function artifactPath(ctx: Ctx, id: number): string {
  return join(ctx.app.artifactDir, pathSegment(String(id), 'artifact id'));
}

function loadArtifact(ctx: Ctx): ArtifactRow {
  const module = loadModule(ctx);
  const id = pathId(ctx.params.artifactId);
  const a = id === null ? undefined : findModuleArtifact(ctx.app.db, id, module.id);
  if (!a)
    throw notFound(
      'artifact.notFound',
      `software module ${module.id} has no artifact ${ctx.params.artifactId}`,
    );
  return a;
}

async function uploadArtifact(ctx: Ctx): Promise<void> {
  const user = requireRole(ctx, 'MODULE_RESPONSIBLE');
  const module = loadModule(ctx);
  const up = await receiveUpload(ctx.req, ctx.query, ctx.app.tmpDir, ctx.app.config.artifactLimit);
  const { db, clock } = ctx.app;
  let id: number;
  try {
    for (const h of ['md5', 'sha1', 'sha256'] as const) {
      const want = up.declared[h];
      if (want !== undefined && want !== up[h])
        throw badRequest(
          'artifact.hashMismatch',
          `declared ${h} ${want} differs from the uploaded bytes' ${up[h]}`,
        );
    }
    id = db.transaction(() => {
      if (artifactNameTaken(db, module.id, up.filename))
        throw conflict(
          'artifact.exists',
          `software module ${module.id} already has an artifact ${up.filename}`,
        );
      const newId = insertArtifact(
        db,
        {
          moduleId: module.id,
          filename: up.filename,
          md5: up.md5,
          sha1: up.sha1,
          sha256: up.sha256,
          size: up.size,
        },
        user.name,
        clock.now(),
      );
      renameSync(up.tmpPath, artifactPath(ctx, newId));
      return newId;
    })();
  } catch (err) {
    await rm(up.tmpPath, { force: true });
    throw err;
  }
  const row = findArtifact(db, id) as ArtifactRow;
  sendJson(ctx.res, 201, artifactJson(ctx, row));
}

export const artifactRoutes: Route[] = [
  {
    ...post('/rest/v1/softwaremodules/:id/artifacts', uploadArtifact),
    body: 'artifact',
  },
  get('/rest/v1/softwaremodules/:id/artifacts', (ctx) => {
    requireRole(ctx, 'READ');
    const module = loadModule(ctx);
    sendJson(
      ctx.res,
      200,
      moduleArtifacts(ctx.app.db, module.id).map((a) => artifactJson(ctx, a)),
    );
  }),
  get('/rest/v1/softwaremodules/:id/artifacts/:artifactId', (ctx) => {
    requireRole(ctx, 'READ');
    sendJson(ctx.res, 200, artifactJson(ctx, loadArtifact(ctx)));
  }),
  get('/rest/v1/softwaremodules/:id/artifacts/:artifactId/download', async (ctx) => {
    requireRole(ctx, 'READ');
    const a = loadArtifact(ctx);
    await serveFile(ctx.req, ctx.res, {
      path: artifactPath(ctx, a.id),
      size: a.size,
      etag: `"${a.sha1}"`,
      filename: a.filename,
      lastModified: a.created_at,
    });
  }),
  del('/rest/v1/softwaremodules/:id/artifacts/:artifactId', (ctx) => {
    requireRole(ctx, 'MODULE_RESPONSIBLE');
    const a = loadArtifact(ctx);
    if (artifactInAnyFile(ctx.app.db, a.id))
      throw conflict('artifact.inUse', `artifact ${a.id} is part of a published recipe file`);
    deleteArtifact(ctx.app.db, a.id);
    rmSync(artifactPath(ctx, a.id), { force: true });
    sendEmpty(ctx.res, 204);
  }),
];
