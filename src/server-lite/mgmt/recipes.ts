/**
 * `recipes`: create (array), list, get, edit (content in DRAFT only, tags always), delete (ADMIN; DRAFT,
 * REVOKED, INACTIVE), validate. Lifecycle transitions and signatures are in `recipe-lifecycle.ts`.
 * Validation runs synchronously on create and every edit; a recipe whose queries or references are at
 * fault is stored with `validity: INVALID`; a body of the wrong shape is 400 and nothing is stored.
 */
import type { Ctx } from '../app.js';
import { requireRole } from '../auth/basic.js';
import { isDeletable, isEditable } from '../domain/lifecycle.js';
import { runMatchJob } from '../domain/match-job.js';
import { contentOf, findRecipe, type RecipeContent, type RecipeRow } from '../domain/recipe-store.js';
import { validateRecipe, validityOf } from '../domain/validation.js';
import { readJson } from '../http/body.js';
import { conflict, notFound } from '../http/errors.js';
import { page } from '../http/fiql.js';
import { sendEmpty, sendJson } from '../http/respond.js';
import { del, get, post, put, type Route } from '../http/route.js';
import { checkShape, type JsonSchema, pathId, S } from '../http/shape.js';
import { created } from './audit.js';
import { recipeJson } from './recipe-json.js';

const STRING_MAP: JsonSchema = {
  type: 'object',
  propertyNames: { maxLength: 128, minLength: 1 },
  additionalProperties: { type: 'string', maxLength: 4000 },
};
const MODULE: JsonSchema = {
  type: 'object',
  properties: {
    name: S.name,
    description: S.description,
    match: { type: 'string', maxLength: 4000 },
    count: { type: 'string', maxLength: 256 },
    distributionSetId: S.id,
    metadata: STRING_MAP,
  },
  required: ['name', 'match', 'count'],
};
const FIELDS = {
  name: S.name,
  version: S.version,
  description: S.description,
  modules: S.arrayOf(MODULE),
  systemDistributionSets: S.arrayOf(S.id),
  metadata: STRING_MAP,
  tags: S.arrayOf(S.str(64, 1)),
};
const CREATE = S.arrayOf({ type: 'object', properties: FIELDS, required: ['name', 'version'] }, 1);
const UPDATE = { type: 'object', properties: FIELDS };

interface RecipeIn {
  name?: string;
  version?: string;
  description?: string;
  modules?: RecipeContent['modules'];
  systemDistributionSets?: number[];
  metadata?: Record<string, string>;
  tags?: string[];
}

export function loadRecipe(ctx: Ctx): RecipeRow {
  const id = pathId(ctx.params.id);
  const row = id === null ? undefined : findRecipe(ctx.app, id);
  if (!row) throw notFound('recipe.notFound', `recipe ${ctx.params.id} does not exist`);
  return row;
}

/** Validates and stores the result; returns the new row. */
export function revalidate(ctx: Ctx, r: RecipeRow): RecipeRow {
  const issues = validateRecipe(ctx.app, contentOf(r));
  ctx.app.db
    .prepare('UPDATE recipes SET validity = ?, validation_result = ? WHERE id = ?')
    .run(validityOf(issues), JSON.stringify(issues), r.id);
  return findRecipe(ctx.app, r.id) as RecipeRow;
}

export const recipeRoutes: Route[] = [
  get('/rest/v1/recipes', (ctx) => {
    requireRole(ctx, 'READ');
    const rows = ctx.app.db.prepare('SELECT * FROM recipes ORDER BY id').all() as RecipeRow[];
    sendJson(
      ctx.res,
      200,
      page(
        rows.map((r) => recipeJson(ctx, r)),
        ctx.query,
      ),
    );
  }),
  get('/rest/v1/recipes/:id', (ctx) => {
    requireRole(ctx, 'READ');
    sendJson(ctx.res, 200, recipeJson(ctx, loadRecipe(ctx)));
  }),
  post('/rest/v1/recipes', async (ctx) => {
    const user = requireRole(ctx, 'SYSTEM_RESPONSIBLE');
    const body = checkShape<RecipeIn[]>(CREATE, await readJson(ctx.req, ctx.app.config.jsonBodyLimit));
    const { db, clock } = ctx.app;
    const ids = db.transaction(() => {
      const ids = body.map((r) => {
        const content: RecipeContent = {
          modules: r.modules ?? [],
          systemDistributionSets: r.systemDistributionSets ?? [],
          metadata: r.metadata ?? {},
        };
        const issues = validateRecipe(ctx.app, content);
        const res = db
          .prepare(
            `INSERT INTO recipes (name, version, description, content, tags, lifecycle, validity, validation_result,
             created_by, created_at, last_modified_by, last_modified_at) VALUES (?, ?, ?, ?, ?, 'DRAFT', ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            r.name,
            r.version,
            r.description ?? '',
            JSON.stringify(content),
            JSON.stringify(r.tags ?? []),
            validityOf(issues),
            JSON.stringify(issues),
            ...created(user.name, clock.now()),
          );
        return Number(res.lastInsertRowid);
      });
      runMatchJob(ctx.app, null, user.name);
      return ids;
    })();
    sendJson(
      ctx.res,
      201,
      ids.map((id) => recipeJson(ctx, findRecipe(ctx.app, id) as RecipeRow)),
    );
  }),
  put('/rest/v1/recipes/:id', async (ctx) => {
    const user = requireRole(ctx, 'SYSTEM_RESPONSIBLE');
    const body = checkShape<RecipeIn>(UPDATE, await readJson(ctx.req, ctx.app.config.jsonBodyLimit));
    const { db, clock } = ctx.app;
    db.transaction(() => {
      const r = loadRecipe(ctx);
      const contentKeys = Object.keys(body).filter((k) => k !== 'tags' && k in FIELDS);
      if (contentKeys.length > 0 && !isEditable(r.lifecycle))
        throw conflict(
          'recipe.notEditable',
          `recipe ${r.id} is ${r.lifecycle}: only tags can change outside DRAFT (got ${contentKeys.join(', ')})`,
          { lifecycle: r.lifecycle },
        );
      const old = contentOf(r);
      const content: RecipeContent = {
        modules: body.modules ?? old.modules,
        systemDistributionSets: body.systemDistributionSets ?? old.systemDistributionSets,
        metadata: body.metadata ?? old.metadata,
      };
      db.prepare(
        `UPDATE recipes SET name = ?, version = ?, description = ?, content = ?, tags = ?, last_modified_by = ?,
         last_modified_at = ? WHERE id = ?`,
      ).run(
        body.name ?? r.name,
        body.version ?? r.version,
        body.description ?? r.description,
        JSON.stringify(content),
        JSON.stringify(body.tags ?? JSON.parse(r.tags)),
        user.name,
        clock.now(),
        r.id,
      );
      if (contentKeys.length > 0) {
        revalidate(ctx, findRecipe(ctx.app, r.id) as RecipeRow);
        runMatchJob(ctx.app, null, user.name);
      }
    })();
    sendJson(ctx.res, 200, recipeJson(ctx, loadRecipe(ctx)));
  }),
  del('/rest/v1/recipes/:id', (ctx) => {
    const user = requireRole(ctx, 'ADMIN');
    const { db } = ctx.app;
    db.transaction(() => {
      const r = loadRecipe(ctx);
      if (!isDeletable(r.lifecycle))
        throw conflict(
          'recipe.notDeletable',
          `recipe ${r.id} is ${r.lifecycle}: only DRAFT, REVOKED and INACTIVE recipes can be deleted`,
          {
            lifecycle: r.lifecycle,
          },
        );
      if (db.prepare("SELECT 1 FROM actions WHERE recipe_id = ? AND status = 'open'").get(r.id))
        throw conflict('recipe.inUse', `recipe ${r.id} has an open system update`);
      db.prepare('DELETE FROM recipes WHERE id = ?').run(r.id);
      db.prepare('UPDATE targets SET matched_recipe_id = NULL WHERE matched_recipe_id = ?').run(r.id);
      db.prepare('UPDATE targets SET matched_rc_recipe_id = NULL WHERE matched_rc_recipe_id = ?').run(r.id);
      runMatchJob(ctx.app, null, user.name);
    })();
    sendEmpty(ctx.res, 204);
  }),
  get('/rest/v1/recipes/:id/matchedSystems', (ctx) => {
    requireRole(ctx, 'READ');
    const r = loadRecipe(ctx);
    const rows = ctx.app.db
      .prepare(
        `SELECT t.controller_id FROM recipe_matches m JOIN targets t ON t.id = m.target_id WHERE m.recipe_id = ?
         ORDER BY t.controller_id`,
      )
      .all(r.id) as { controller_id: string }[];
    sendJson(
      ctx.res,
      200,
      page(
        rows.map((x) => ({ controllerId: x.controller_id })),
        ctx.query,
      ),
    );
  }),
  post('/rest/v1/recipes/:id/validate', (ctx) => {
    const user = requireRole(ctx, 'SYSTEM_RESPONSIBLE');
    const r = ctx.app.db.transaction(() => {
      const row = revalidate(ctx, loadRecipe(ctx));
      runMatchJob(ctx.app, null, user.name);
      return row;
    })();
    sendJson(ctx.res, 200, recipeJson(ctx, r));
  }),
];
