/** Recipe rows: the management representation (`management-api.md`, "Recipes") and its JSON. */
import type { App } from '../app.js';
import type { AuditRow } from '../mgmt/audit.js';
import type { Lifecycle } from './lifecycle.js';

export interface ModuleDefinition {
  name: string;
  description?: string;
  /** RSQL module match query (`attributes.module-id==4711 and …`). */
  match: string;
  /** RSQL count query (`count==1`). */
  count: string;
  distributionSetId?: number;
  metadata?: Record<string, string>;
}

export interface RecipeContent {
  modules: ModuleDefinition[];
  systemDistributionSets: number[];
  metadata: Record<string, string>;
}

export type Validity = 'PENDING' | 'IN_PROGRESS' | 'VALID' | 'INVALID';

export interface ValidationIssue {
  severity: 'error' | 'warning';
  field: string;
  position?: number;
  message: string;
}

export type CoverageClass = 'VERY_HIGH' | 'HIGH' | 'MEDIUM' | 'LOW' | 'VERY_LOW' | 'NONE' | 'IN_PROGRESS';

export interface Coverage {
  class: CoverageClass;
  matched: number;
  total: number;
}

export interface RecipeRow extends AuditRow {
  id: number;
  name: string;
  version: string;
  description: string;
  content: string;
  tags: string;
  lifecycle: Lifecycle;
  validity: Validity;
  validation_result: string;
  coverage: string | null;
  published: string | null;
  published_by: string | null;
  published_at: number | null;
  approved_by: string | null;
  approved_at: number | null;
  file: Buffer | null;
  file_sha256: string | null;
}

export function findRecipe(app: App, id: number): RecipeRow | undefined {
  return app.db.prepare('SELECT * FROM recipes WHERE id = ?').get(id) as RecipeRow | undefined;
}

export function contentOf(r: RecipeRow): RecipeContent {
  return JSON.parse(r.content) as RecipeContent;
}

/** `{class, matched, total}` (`recipe-file.md`, "Coverage"): p = matched ÷ total. */
export function coverageOf(matched: number, total: number): Coverage {
  if (matched === 0 || total === 0) return { class: 'NONE', matched, total };
  const p = (matched / total) * 100;
  const cls: CoverageClass =
    p > 80 ? 'VERY_HIGH' : p > 60 ? 'HIGH' : p > 40 ? 'MEDIUM' : p > 20 ? 'LOW' : 'VERY_LOW';
  return { class: cls, matched, total };
}

export function recipeRef(r: RecipeRow | undefined) {
  return r ? { id: r.id, name: r.name, version: r.version } : null;
}
