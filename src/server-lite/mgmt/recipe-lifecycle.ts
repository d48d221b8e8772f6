/**
 * `POST recipes/{id}/{promote|demote|release|approve|deactivate|revoke}` (`domain/transitions.ts`),
 * `GET recipes/{id}/file` (the frozen bytes) and signatures; the first signature in
 * WAITING_FOR_SIGNATURE signs the recipe (RELEASE_CANDIDATE).
 */

import { isSoupError } from '../../lib/errors.js';
import { parseDetachedJws, verifyDetached } from '../../recipe/jws.js';
import type { Ctx } from '../app.js';
import { requireRole } from '../auth/basic.js';
import { acceptsSignatures, LIFECYCLE_TABLE, TRANSITIONS, type Transition } from '../domain/lifecycle.js';
import type { RecipeRow } from '../domain/recipe-store.js';
import { moveRecipe } from '../domain/transitions.js';
import { readJson } from '../http/body.js';
import { ApiError, badRequest, conflict } from '../http/errors.js';
import { sendJson } from '../http/respond.js';
import { get, post, type Route } from '../http/route.js';
import { checkShape, S } from '../http/shape.js';
import { findRecipe, insertSignature, signaturesOf as storedSignatures } from '../store/recipes.js';
import { recipeJson } from './recipe-json.js';
import { loadRecipe } from './recipes.js';

function transitionRoute(t: Transition): Route {
  return post(`/rest/v1/recipes/:id/${t}`, (ctx) => {
    const user = requireRole(ctx, LIFECYCLE_TABLE[t].role);
    ctx.app.db.transaction(() => moveRecipe(ctx.app, loadRecipe(ctx), t, user.name))();
    sendJson(ctx.res, 200, recipeJson(ctx, loadRecipe(ctx)));
  });
}

function fileOf(_ctx: Ctx, r: RecipeRow): Buffer {
  if (!r.file)
    throw conflict(
      'recipe.noFile',
      `recipe ${r.id} is ${r.lifecycle}: its file exists from WAITING_FOR_SIGNATURE on`,
      {
        lifecycle: r.lifecycle,
      },
    );
  return r.file;
}

/** Signatures of a recipe; `id` is a number on the Management API, a decimal string on the Install API. */
export function signaturesOf(ctx: Ctx, recipeId: number, idAsString = false) {
  return storedSignatures(ctx.app.db, recipeId).map((s) => ({
    id: idAsString ? String(s.id) : s.id,
    format: s.format,
    value: s.value,
  }));
}

const SIGNATURE = S.object({ format: { const: 'jws' }, value: S.str(16384, 1) }, ['format', 'value']);

export const recipeLifecycleRoutes: Route[] = [
  ...TRANSITIONS.map(transitionRoute),
  get('/rest/v1/recipes/:id/file', (ctx) => {
    requireRole(ctx, 'READ');
    const r = loadRecipe(ctx);
    const bytes = fileOf(ctx, r);
    ctx.res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': bytes.length,
      etag: `"${r.file_sha256}"`,
    });
    ctx.res.end(bytes);
  }),
  get('/rest/v1/recipes/:id/signatures', (ctx) => {
    requireRole(ctx, 'READ');
    const r = loadRecipe(ctx);
    sendJson(ctx.res, 200, { signatures: signaturesOf(ctx, r.id) });
  }),
  post('/rest/v1/recipes/:id/signatures', async (ctx) => {
    const user = requireRole(ctx, 'SYSTEM_RESPONSIBLE');
    const body = checkShape<{ format: 'jws'; value: string }>(
      SIGNATURE,
      await readJson(ctx.req, ctx.app.config.jsonBodyLimit),
    );
    const first = loadRecipe(ctx);
    if (!acceptsSignatures(first.lifecycle))
      throw conflict(
        'recipe.signatureNotAccepted',
        `recipe ${first.id} is ${first.lifecycle}: signatures are accepted from WAITING_FOR_SIGNATURE to INACTIVE`,
        {
          lifecycle: first.lifecycle,
        },
      );
    try {
      parseDetachedJws(body.value);
    } catch (err) {
      if (isSoupError(err, 'SOUP_E_SIGNATURE'))
        throw badRequest('signature.malformed', `value: ${(err as Error).message}`);
      throw err;
    }
    if (ctx.app.signers) {
      const outcome = await verifyDetached(fileOf(ctx, first), [body.value], ctx.app.signers);
      if (!outcome.ok)
        throw new ApiError(
          422,
          'soup.signature.notVerified',
          `the signature does not verify against the configured signers: ${outcome.reasons.join('; ')}`,
        );
    }
    const id = ctx.app.db.transaction(() => {
      const r = findRecipe(ctx.app.db, first.id);
      if (!r || r.file_sha256 !== first.file_sha256)
        throw conflict(
          'recipe.changed',
          `recipe ${first.id} changed while the signature was checked: upload it again`,
        );
      const sigId = insertSignature(
        ctx.app.db,
        r.id,
        { format: body.format, value: body.value },
        user.name,
        ctx.app.clock.now(),
      );
      if (r.lifecycle === 'WAITING_FOR_SIGNATURE') moveRecipe(ctx.app, r, 'sign', user.name);
      return sigId;
    })();
    sendJson(ctx.res, 201, { id, format: body.format, value: body.value });
  }),
];
