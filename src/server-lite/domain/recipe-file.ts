/**
 * The recipe file (`recipe-file.md`): generated at promote from the recipe and the distribution sets it
 * references, validated with the shared schema, serialised once; those bytes are frozen (stored in the
 * database) and served unchanged until a demote. Scripts come from system sets of type `scripts`.
 */
import { createHash } from 'node:crypto';
import { SoupError } from '../../lib/errors.js';
import { rsqlToMongo } from '../../recipe/rsql.js';
import { validateRecipeFile } from '../../recipe/schema.js';
import type {
  RecipeFile,
  RecipeFileArtifact,
  RecipeFileImage,
  RecipeFileModule,
} from '../../recipe/types.js';
import type { App } from '../app.js';
import type { ModuleDefinition, RecipeContent } from './recipe-store.js';
import { imageArtifact, type SetArtifact, type SetInfo, setInfo } from './set-artifacts.js';
import { tenantValue } from './tenant-config.js';

export const SCHEMA_VERSION = '1.0';

function fileArtifact(a: SetArtifact): RecipeFileArtifact {
  return { id: String(a.id), type: a.typeKey, byteSize: a.size, filename: a.filename, sha256: a.sha256 };
}

function fileModule(m: ModuleDefinition): RecipeFileModule {
  return {
    name: m.name,
    description: m.description ?? '',
    match: rsqlToMongo(m.match, 'match'),
    matchCount: rsqlToMongo(m.count, 'count') as RecipeFileModule['matchCount'],
  };
}

function mustSet(app: App, id: number, field: string): SetInfo {
  const set = setInfo(app, id);
  if (!set || set.deleted)
    throw new SoupError('SOUP_E_STATE', `${field}: distribution set ${id} does not exist`);
  return set;
}

export interface RecipeHeader {
  id: number;
  name: string;
  version: string;
  description: string;
}

/** Builds (does not freeze) the recipe file; throws SoupError naming the field at fault. */
export function buildRecipeFile(
  app: App,
  recipe: RecipeHeader,
  content: RecipeContent,
  published: string,
): RecipeFile {
  const images: RecipeFileImage[] = [];
  const noImage: { _module: RecipeFileModule }[] = [];
  content.modules.forEach((m, i) => {
    if (m.distributionSetId === undefined) {
      noImage.push({ _module: fileModule(m) });
      return;
    }
    const set = mustSet(app, m.distributionSetId, `modules[${i}].distributionSetId`);
    const image = imageArtifact(set, m.metadata?.imageFileName);
    if (typeof image === 'string') throw new SoupError('SOUP_E_STATE', `modules[${i}]: ${image}`);
    images.push({
      _module: fileModule(m),
      _software: { softwareId: String(set.id), name: set.name, artifacts: set.artifacts.map(fileArtifact) },
      type: m.metadata?.imageType ?? '',
      filename: image.filename,
      version: set.version,
      sha256: image.sha256,
    });
  });
  const scripts: RecipeFileArtifact[] = [];
  const systemArtifacts: NonNullable<RecipeFile['software']['_systemArtifacts']> = [];
  content.systemDistributionSets.forEach((id, i) => {
    const set = mustSet(app, id, `systemDistributionSets[${i}]`);
    const artifacts = set.artifacts.map(fileArtifact);
    if (set.typeKey === 'scripts') scripts.push(...artifacts);
    systemArtifacts.push({ softwareId: String(set.id), name: set.name, artifacts });
  });
  const software: RecipeFile['software'] = { version: recipe.version };
  const hw = content.metadata.hardwareCompatibility;
  if (hw !== undefined)
    software['hardware-compatibility'] = hw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  if (scripts.length > 0) software.scripts = scripts;
  software.images = images;
  software._noImage = noImage;
  if (systemArtifacts.length > 0) software._systemArtifacts = systemArtifacts;
  return {
    _recipe: {
      id: String(recipe.id),
      'schema-version': SCHEMA_VERSION,
      name: recipe.name,
      description: recipe.description,
      published,
      versionProperties: [...tenantValue(app, 'soup.systemreport.version.property.names')],
    },
    software,
  };
}

export interface FrozenFile {
  bytes: Buffer;
  sha256: string;
  file: RecipeFile;
  artifactIds: number[];
}

/** Generates, schema-validates and serialises the file: these bytes are what gets signed and served. */
export function freezeRecipeFile(
  app: App,
  recipe: RecipeHeader,
  content: RecipeContent,
  published: string,
): FrozenFile {
  const file = buildRecipeFile(app, recipe, content, published);
  validateRecipeFile(file);
  const bytes = Buffer.from(`${JSON.stringify(file, null, 2)}\n`, 'utf8');
  const ids = new Set<number>();
  for (const img of file.software.images ?? [])
    for (const a of img._software.artifacts) ids.add(Number(a.id));
  for (const s of file.software._systemArtifacts ?? []) for (const a of s.artifacts) ids.add(Number(a.id));
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex'), file, artifactIds: [...ids] };
}
