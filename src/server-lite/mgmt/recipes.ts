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
import { contentOf, type RecipeContent, type RecipeRow } from '../domain/recipe-store.js';
import { revalidate, validateRecipe, validityOf } from '../domain/validation.js';
import { readJson } from '../http/body.js';
import { conflict, notFound } from '../http/errors.js';
import { page } from '../http/page.js';
import { sendEmpty, sendJson } from '../http/respond.js';
import { del, get, post, put, type Route } from '../http/route.js';
import { checkShape, type JsonSchema, pathId, S } from '../http/shape.js';
import { recipeHasOpenAction } from '../store/actions.js';
import {
  deleteRecipe,
  findRecipe,
  insertRecipe,
  listRecipes,
  matchedControllerIds,
  updateRecipe,
} from '../store/recipes.js';
import { forgetMatchedRecipe } from '../store/targets.js';
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
  const row = id === null ? undefined : findRecipe(ctx.app.db, id);
  if (!row) throw notFound('recipe.notFound', `recipe ${ctx.params.id} does not exist`);
  return row;
}

export const recipeRoutes: Route[] = [
  get('/rest/v1/recipes', (ctx) => {
    requireRole(ctx, 'READ');
    const rows = listRecipes(ctx.app.db);
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
        return insertRecipe(
          db,
          {
            name: r.name as string,
            version: r.version as string,
            description: r.description ?? '',
            content: JSON.stringify(content),
            tags: JSON.stringify(r.tags ?? []),
            validity: validityOf(issues),
            validationResult: JSON.stringify(issues),
          },
          user.name,
          clock.now(),
        );
      });
      runMatchJob(ctx.app, null, user.name);
      return ids;
    })();
    sendJson(
      ctx.res,
      201,
      ids.map((id) => recipeJson(ctx, findRecipe(db, id) as RecipeRow)),
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
      updateRecipe(
        db,
        r.id,
        {
          name: body.name ?? r.name,
          version: body.version ?? r.version,
          description: body.description ?? r.description,
          content: JSON.stringify(content),
          tags: JSON.stringify(body.tags ?? JSON.parse(r.tags)),
        },
        user.name,
        clock.now(),
      );
      if (contentKeys.length > 0) {
        revalidate(ctx.app, findRecipe(db, r.id) as RecipeRow);
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
      if (recipeHasOpenAction(db, r.id))
        throw conflict('recipe.inUse', `recipe ${r.id} has an open system update`);
      deleteRecipe(db, r.id);
      forgetMatchedRecipe(db, r.id);
      runMatchJob(ctx.app, null, user.name);
    })();
    sendEmpty(ctx.res, 204);
  }),
  get('/rest/v1/recipes/:id/matchedSystems', (ctx) => {
    requireRole(ctx, 'READ');
    const r = loadRecipe(ctx);
    sendJson(
      ctx.res,
      200,
      page(
        matchedControllerIds(ctx.app.db, r.id).map((controllerId) => ({ controllerId })),
        ctx.query,
      ),
    );
  }),
  post('/rest/v1/recipes/:id/validate', (ctx) => {
    const user = requireRole(ctx, 'SYSTEM_RESPONSIBLE');
    const r = ctx.app.db.transaction(() => {
      const row = revalidate(ctx.app, loadRecipe(ctx));
      runMatchJob(ctx.app, null, user.name);
      return row;
    })();
    sendJson(ctx.res, 200, recipeJson(ctx, r));
  }),
];
