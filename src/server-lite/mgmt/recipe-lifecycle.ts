/**
 * `POST recipes/{id}/{promote|demote|release|approve|deactivate|revoke}` (the table in
 * `domain/lifecycle.ts`; anything else 409 naming the allowed ones), `GET recipes/{id}/file` (the frozen
 * bytes) and signatures. Promote needs VALID, sets `published` and freezes the file; demote discards
 * file, signatures and `published`. Every lifecycle change runs the match job for all systems.
 */

import { isSoupError } from '../../lib/errors.js';
import { parseDetachedJws, verifyDetached } from '../../recipe/jws.js';
import type { Ctx } from '../app.js';
import { requireRole } from '../auth/basic.js';
import {
  acceptsSignatures,
  LIFECYCLE_TABLE,
  type LifecycleEvent,
  step,
  TRANSITIONS,
  type Transition,
} from '../domain/lifecycle.js';
import { runMatchJob } from '../domain/match-job.js';
import { freezeRecipeFile } from '../domain/recipe-file.js';
import { contentOf, findRecipe, type RecipeRow } from '../domain/recipe-store.js';
import { readJson } from '../http/body.js';
import { ApiError, badRequest, conflict } from '../http/errors.js';
import { sendJson } from '../http/respond.js';
import { get, post, type Route } from '../http/route.js';
import { checkShape, S } from '../http/shape.js';
import { recipeJson } from './recipe-json.js';
import { loadRecipe, revalidate } from './recipes.js';

function move(ctx: Ctx, r: RecipeRow, event: LifecycleEvent, actor: string): void {
  const s = step(r.lifecycle, event);
  if (!s.ok)
    throw conflict(
      'recipe.invalidTransition',
      `recipe ${r.id} is ${r.lifecycle}: ${event} is not allowed${s.allowed.length ? `; allowed: ${s.allowed.join(', ')}` : '; no transition is allowed'}`,
      { lifecycle: r.lifecycle, allowed: s.allowed },
    );
  const { db, clock } = ctx.app;
  const now = clock.now();
  switch (event) {
    case 'promote': {
      const checked = revalidate(ctx, r);
      if (checked.validity !== 'VALID')
        throw conflict(
          'recipe.notValid',
          `recipe ${r.id} is ${checked.validity}: only a VALID recipe can be promoted`,
          {
            validity: checked.validity,
            validationResult: JSON.parse(checked.validation_result),
          },
        );
      const published = new Date(now).toISOString();
      let frozen: ReturnType<typeof freezeRecipeFile>;
      try {
        frozen = freezeRecipeFile(ctx.app, r, contentOf(r), published);
      } catch (err) {
        if (isSoupError(err, 'SOUP_E_NOT_BUILT')) throw err;
        throw conflict(
          'recipe.fileInvalid',
          `recipe ${r.id}: the recipe file cannot be generated: ${(err as Error).message}`,
        );
      }
      db.prepare(
        `UPDATE recipes SET file = ?, file_sha256 = ?, published = ?, published_by = ?, published_at = ? WHERE id = ?`,
      ).run(frozen.bytes, frozen.sha256, published, actor, now, r.id);
      const link = db.prepare(
        'INSERT OR IGNORE INTO recipe_artifacts (recipe_id, artifact_id) VALUES (?, ?)',
      );
      for (const a of frozen.artifactIds) link.run(r.id, a);
      break;
    }
    case 'demote':
      db.prepare(
        'UPDATE recipes SET file = NULL, file_sha256 = NULL, published = NULL, published_by = NULL, published_at = NULL WHERE id = ?',
      ).run(r.id);
      db.prepare('DELETE FROM signatures WHERE recipe_id = ?').run(r.id);
      db.prepare('DELETE FROM recipe_artifacts WHERE recipe_id = ?').run(r.id);
      break;
    case 'approve':
      db.prepare('UPDATE recipes SET approved_by = ?, approved_at = ? WHERE id = ?').run(actor, now, r.id);
      break;
    case 'sign':
    case 'release':
    case 'deactivate':
    case 'revoke':
      break;
    default: {
      const never: never = event;
      throw new Error(`unhandled lifecycle event ${String(never)}`);
    }
  }
  db.prepare('UPDATE recipes SET lifecycle = ?, last_modified_by = ?, last_modified_at = ? WHERE id = ?').run(
    s.to,
    actor,
    now,
    r.id,
  );
  runMatchJob(ctx.app, null, actor);
}

function transitionRoute(t: Transition): Route {
  return post(`/rest/v1/recipes/:id/${t}`, (ctx) => {
    const user = requireRole(ctx, LIFECYCLE_TABLE[t].role);
    ctx.app.db.transaction(() => move(ctx, loadRecipe(ctx), t, user.name))();
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
  return (
    ctx.app.db
      .prepare('SELECT id, format, value FROM signatures WHERE recipe_id = ? ORDER BY id')
      .all(recipeId) as {
      id: number;
      format: string;
      value: string;
    }[]
  ).map((s) => ({ id: idAsString ? String(s.id) : s.id, format: s.format, value: s.value }));
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
      const r = findRecipe(ctx.app, first.id);
      if (!r || r.file_sha256 !== first.file_sha256)
        throw conflict(
          'recipe.changed',
          `recipe ${first.id} changed while the signature was checked: upload it again`,
        );
      const res = ctx.app.db
        .prepare(
          'INSERT INTO signatures (recipe_id, format, value, created_by, created_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(r.id, body.format, body.value, user.name, ctx.app.clock.now());
      if (r.lifecycle === 'WAITING_FOR_SIGNATURE') move(ctx, r, 'sign', user.name);
      return Number(res.lastInsertRowid);
    })();
    sendJson(ctx.res, 201, { id, format: body.format, value: body.value });
  }),
];
