/**
 * Recipe resources on the Install API: `GET recipes/{id}/file` (the exact frozen bytes, ETag = quoted
 * SHA-256), `GET recipes/{id}/signatures`, `GET|HEAD artifacts/{fileId}` (bytes of an artifact of a
 * recipe visible to this gateway, ETag = quoted SHA-256). Only recipes visible to the gateway's scope.
 */
import { join } from 'node:path';
import { pathSegment } from '../../lib/path-segment.js';
import type { Ctx } from '../app.js';
import { authenticateGateway } from '../auth/install-auth.js';
import { visibleTo } from '../domain/lifecycle.js';
import type { RecipeRow } from '../domain/recipe-store.js';
import { notFound } from '../http/errors.js';
import { sendJson } from '../http/respond.js';
import { get, head, type Route } from '../http/route.js';
import { serveFile } from '../http/serve-file.js';
import { signaturesOf } from '../mgmt/recipe-lifecycle.js';
import { findArtifact } from '../store/artifacts.js';
import { findRecipe, lifecyclesNaming } from '../store/recipes.js';
import type { GatewayRow as TargetRow } from '../store/targets.js';

function visibleRecipe(ctx: Ctx, t: TargetRow): RecipeRow & { file: Buffer } {
  const raw = ctx.params.recipeId ?? '';
  const r = /^\d{1,15}$/.test(raw) ? findRecipe(ctx.app.db, Number(raw)) : undefined;
  if (!r?.file || !visibleTo(r.lifecycle, t.scope))
    throw notFound('recipe.notFound', `recipe ${raw} does not exist`);
  return r as RecipeRow & { file: Buffer };
}

async function artifact(ctx: Ctx): Promise<void> {
  const t = authenticateGateway(ctx, false);
  const raw = ctx.params.fileId ?? '';
  const id = /^\d{1,15}$/.test(raw) ? Number(raw) : -1;
  const lifecycles = lifecyclesNaming(ctx.app.db, id);
  const a = findArtifact(ctx.app.db, id);
  if (!a?.stored || !lifecycles.some((l) => visibleTo(l, t.scope)))
    throw notFound('artifact.notFound', `artifact ${raw} does not exist`);
  await serveFile(ctx.req, ctx.res, {
    path: join(ctx.app.artifactDir, pathSegment(String(a.id), 'artifact id')),
    size: a.size,
    etag: `"${a.sha256}"`,
    filename: a.filename,
    lastModified: a.created_at,
  });
}

export const installRecipeRoutes: Route[] = [
  get('/:tenant/controller/v1/:controllerId/recipes/:recipeId/file', (ctx) => {
    const t = authenticateGateway(ctx, false);
    const r = visibleRecipe(ctx, t);
    const etag = `"${r.file_sha256}"`;
    const inm = ctx.req.headers['if-none-match'];
    if (inm?.split(',').some((x) => x.trim() === etag)) {
      ctx.res.writeHead(304, { etag });
      ctx.res.end();
      return;
    }
    ctx.res.writeHead(200, { 'content-type': 'application/json', 'content-length': r.file.length, etag });
    ctx.res.end(r.file);
  }),
  get('/:tenant/controller/v1/:controllerId/recipes/:recipeId/signatures', (ctx) => {
    const t = authenticateGateway(ctx, false);
    const r = visibleRecipe(ctx, t);
    sendJson(ctx.res, 200, { signatures: signaturesOf(ctx, r.id, true) });
  }),
  get('/:tenant/controller/v1/:controllerId/artifacts/:fileId', artifact),
  head('/:tenant/controller/v1/:controllerId/artifacts/:fileId', artifact),
];
