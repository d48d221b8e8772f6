/** The recipe's Management API representation. */
import { type Ctx, mgmtUrl } from '../app.js';
import { allowedFrom } from '../domain/lifecycle.js';
import { type Coverage, contentOf, type RecipeRow, type ValidationIssue } from '../domain/recipe-store.js';
import { auditOf } from './audit.js';

export function recipeJson(ctx: Ctx, r: RecipeRow) {
  const c = contentOf(r);
  const links: Record<string, { href: string }> = {
    self: { href: mgmtUrl(ctx, `recipes/${r.id}`) },
    signatures: { href: mgmtUrl(ctx, `recipes/${r.id}/signatures`) },
    validate: { href: mgmtUrl(ctx, `recipes/${r.id}/validate`) },
  };
  if (r.file) links.file = { href: mgmtUrl(ctx, `recipes/${r.id}/file`) };
  for (const t of allowedFrom(r.lifecycle)) links[t] = { href: mgmtUrl(ctx, `recipes/${r.id}/${t}`) };
  return {
    id: r.id,
    name: r.name,
    version: r.version,
    description: r.description,
    modules: c.modules,
    systemDistributionSets: c.systemDistributionSets,
    metadata: c.metadata,
    tags: JSON.parse(r.tags) as string[],
    lifecycle: r.lifecycle,
    allowedTransitions: allowedFrom(r.lifecycle),
    validity: r.validity,
    validationResult: JSON.parse(r.validation_result) as ValidationIssue[],
    coverage: (r.coverage ? JSON.parse(r.coverage) : { class: 'NONE', matched: 0, total: 0 }) as Coverage,
    published: r.published,
    publishedBy: r.published_by,
    publishedAt: r.published_at,
    approvedBy: r.approved_by,
    approvedAt: r.approved_at,
    fileSha256: r.file_sha256,
    ...auditOf(r),
    _links: links,
  };
}
