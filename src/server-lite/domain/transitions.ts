/**
 * Moving a recipe through its lifecycle (the table in `lifecycle.ts`): anything the table does not allow
 * is 409 naming the allowed transitions. Promote needs VALID, sets `published` and freezes the file;
 * demote discards file, signatures and `published`; approve records the approver. Every move runs the
 * match job for all systems. Call inside a transaction.
 */
import { isSoupError } from '../../lib/errors.js';
import type { App } from '../app.js';
import { conflict } from '../http/errors.js';
import { discardFile, setApproved, setLifecycle, storeFrozenFile } from '../store/recipes.js';
import { type LifecycleEvent, step } from './lifecycle.js';
import { runMatchJob } from './match-job.js';
import { freezeRecipeFile } from './recipe-file.js';
import { contentOf, type RecipeRow } from './recipe-store.js';
import { revalidate } from './validation.js';

function promote(app: App, r: RecipeRow, actor: string, now: number): void {
  const checked = revalidate(app, r);
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
    frozen = freezeRecipeFile(app, r, contentOf(r), published);
  } catch (err) {
    if (isSoupError(err, 'SOUP_E_NOT_BUILT')) throw err;
    throw conflict(
      'recipe.fileInvalid',
      `recipe ${r.id}: the recipe file cannot be generated: ${(err as Error).message}`,
    );
  }
  storeFrozenFile(
    app.db,
    r.id,
    { bytes: frozen.bytes, sha256: frozen.sha256, published, artifactIds: frozen.artifactIds },
    actor,
    now,
  );
}

export function moveRecipe(app: App, r: RecipeRow, event: LifecycleEvent, actor: string): void {
  const s = step(r.lifecycle, event);
  if (!s.ok)
    throw conflict(
      'recipe.invalidTransition',
      `recipe ${r.id} is ${r.lifecycle}: ${event} is not allowed${s.allowed.length ? `; allowed: ${s.allowed.join(', ')}` : '; no transition is allowed'}`,
      { lifecycle: r.lifecycle, allowed: s.allowed },
    );
  const now = app.clock.now();
  switch (event) {
    case 'promote':
      promote(app, r, actor, now);
      break;
    case 'demote':
      discardFile(app.db, r.id);
      break;
    case 'approve':
      setApproved(app.db, r.id, actor, now);
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
  setLifecycle(app.db, r.id, s.to, actor, now);
  runMatchJob(app, null, actor);
}
