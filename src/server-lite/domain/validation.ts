/**
 * Recipe validation (002 "Recipe validation", `management-api.md`): referenced distribution sets exist
 * and are complete; match and count queries parse with the supported operators only (position of the
 * fault); the tenant's metadata rules; total file size over the limit is a warning. Synchronous.
 */

import { isSoupError } from '../../lib/errors.js';
import { RsqlError, rsqlToMongo } from '../../recipe/rsql.js';
import type { App } from '../app.js';
import { findRecipe, setValidation } from '../store/recipes.js';
import {
  contentOf,
  type RecipeContent,
  type RecipeRow,
  type ValidationIssue,
  type Validity,
} from './recipe-store.js';
import { imageArtifact, setInfo } from './set-artifacts.js';
import { type MetadataRule, tenantValue } from './tenant-config.js';

function checkQuery(query: string, kind: 'match' | 'count', field: string, issues: ValidationIssue[]): void {
  try {
    rsqlToMongo(query, kind);
  } catch (err) {
    if (err instanceof RsqlError)
      issues.push({ severity: 'error', field, position: err.position, message: err.message });
    else if (isSoupError(err, 'SOUP_E_NOT_BUILT')) throw err;
    else issues.push({ severity: 'error', field, message: (err as Error).message });
  }
}

function checkRules(
  rules: MetadataRule[],
  metadata: Record<string, string>,
  field: string,
  issues: ValidationIssue[],
): void {
  for (const rule of rules) {
    const value = metadata[rule.metaDataKey];
    if (value === undefined) {
      if (rule.mandatory)
        issues.push({
          severity: 'error',
          field: `${field}.${rule.metaDataKey}`,
          message: `metadata ${rule.metaDataKey} is mandatory`,
        });
      continue;
    }
    if (rule.valueValidationRegex) {
      let re: RegExp;
      try {
        re = new RegExp(`^(?:${rule.valueValidationRegex})$`);
      } catch {
        issues.push({
          severity: 'error',
          field: `${field}.${rule.metaDataKey}`,
          message: `tenant rule regex ${rule.valueValidationRegex} is invalid`,
        });
        continue;
      }
      if (!re.test(value))
        issues.push({
          severity: 'error',
          field: `${field}.${rule.metaDataKey}`,
          message: `metadata ${rule.metaDataKey} value ${JSON.stringify(value)} does not match ${rule.valueValidationRegex}`,
        });
    }
  }
}

export function validateRecipe(app: App, content: RecipeContent): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const rules = tenantValue(app, 'soup.validation.metadata');
  const sizeRule = tenantValue(app, 'soup.validation.totalFileSize');
  const sizes = new Map<number, { size: number; typeKey: string }>();

  if (content.modules.length === 0)
    issues.push({
      severity: 'error',
      field: 'modules',
      message: 'a recipe needs at least one module update definition',
    });
  const names = new Set<string>();
  content.modules.forEach((m, i) => {
    const field = `modules[${i}]`;
    if (names.has(m.name))
      issues.push({
        severity: 'error',
        field: `${field}.name`,
        message: `module name ${m.name} is used twice`,
      });
    names.add(m.name);
    checkQuery(m.match, 'match', `${field}.match`, issues);
    checkQuery(m.count, 'count', `${field}.count`, issues);
    const metadata = m.metadata ?? {};
    if (m.distributionSetId === undefined) {
      checkRules(
        rules.moduleUpdateDefinitionWithoutDistributionSetRules ?? [],
        metadata,
        `${field}.metadata`,
        issues,
      );
      return;
    }
    checkRules(
      rules.moduleUpdateDefinitionWithDistributionSetRules ?? [],
      metadata,
      `${field}.metadata`,
      issues,
    );
    const set = setInfo(app, m.distributionSetId);
    if (!set || set.deleted) {
      issues.push({
        severity: 'error',
        field: `${field}.distributionSetId`,
        message: `distribution set ${m.distributionSetId} does not exist`,
      });
      return;
    }
    if (!set.complete)
      issues.push({
        severity: 'error',
        field: `${field}.distributionSetId`,
        message: `distribution set ${set.id} is not complete`,
      });
    if (!metadata.imageType)
      issues.push({
        severity: 'error',
        field: `${field}.metadata.imageType`,
        message: 'imageType is required for a definition with a distribution set',
      });
    const image = imageArtifact(set, metadata.imageFileName);
    if (typeof image === 'string')
      issues.push({ severity: 'error', field: `${field}.metadata.imageFileName`, message: image });
    for (const a of set.artifacts) {
      if (!a.stored)
        issues.push({
          severity: 'error',
          field: `${field}.distributionSetId`,
          message: `artifact ${a.id} (${a.filename}) has no stored bytes`,
        });
      sizes.set(a.id, { size: a.size, typeKey: a.typeKey });
    }
  });
  content.systemDistributionSets.forEach((id, i) => {
    const field = `systemDistributionSets[${i}]`;
    const set = setInfo(app, id);
    if (!set || set.deleted) {
      issues.push({ severity: 'error', field, message: `distribution set ${id} does not exist` });
      return;
    }
    if (!set.complete)
      issues.push({ severity: 'error', field, message: `distribution set ${id} is not complete` });
    checkRules(rules.systemDistributionSetRules ?? [], set.metadata, `${field}.metadata`, issues);
    for (const a of set.artifacts) {
      if (!a.stored)
        issues.push({
          severity: 'error',
          field,
          message: `artifact ${a.id} (${a.filename}) has no stored bytes`,
        });
      sizes.set(a.id, { size: a.size, typeKey: a.typeKey });
    }
  });
  checkRules(rules.recipeRules ?? [], content.metadata, 'metadata', issues);
  if (sizeRule) {
    const exclude = new Set(sizeRule.excludeTypes ?? []);
    let total = 0;
    for (const a of sizes.values()) if (!exclude.has(a.typeKey)) total += a.size;
    if (total > sizeRule.maxBytes)
      issues.push({
        severity: 'warning',
        field: 'totalFileSize',
        message: `total artifact size ${total} bytes exceeds ${sizeRule.maxBytes} bytes`,
      });
  }
  return issues;
}

export function validityOf(issues: ValidationIssue[]): Validity {
  return issues.some((i) => i.severity === 'error') ? 'INVALID' : 'VALID';
}

/** Validates the recipe's content and stores the result; returns the updated row. */
export function revalidate(app: App, r: RecipeRow): RecipeRow {
  const issues = validateRecipe(app, contentOf(r));
  setValidation(app.db, r.id, validityOf(issues), JSON.stringify(issues));
  return findRecipe(app.db, r.id) as RecipeRow;
}
