/** Recipe content and derived values: module definitions, validation issues, coverage. */
import type { RecipeRow } from '../store/recipes.js';

export type { RecipeRow, Validity } from '../store/recipes.js';

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

export function contentOf(r: Pick<RecipeRow, 'content'>): RecipeContent {
  return JSON.parse(r.content) as RecipeContent;
}

/** The distribution sets a recipe content references (module definitions and system sets). */
export function setsOf(c: RecipeContent): number[] {
  const ids: number[] = [];
  for (const m of c.modules) if (m.distributionSetId !== undefined) ids.push(m.distributionSetId);
  return [...ids, ...c.systemDistributionSets];
}

/** `{class, matched, total}` (`recipe-file.md`, "Coverage"): p = matched ÷ total. */
export function coverageOf(matched: number, total: number): Coverage {
  if (matched === 0 || total === 0) return { class: 'NONE', matched, total };
  const p = (matched / total) * 100;
  const cls: CoverageClass =
    p > 80 ? 'VERY_HIGH' : p > 60 ? 'HIGH' : p > 40 ? 'MEDIUM' : p > 20 ? 'LOW' : 'VERY_LOW';
  return { class: cls, matched, total };
}

export function recipeRef(r: Pick<RecipeRow, 'id' | 'name' | 'version'> | undefined) {
  return r ? { id: r.id, name: r.name, version: r.version } : null;
}
