/**
 * Opening a bundle on the gateway (`agent.md`, "Offline bundles"), checking everything before a byte of
 * an artifact is written:
 *   1. the tar index (bundle/tar.ts): plain files with allowed names only, no duplicates;
 *   2. `bundle.json`, `signatures.json` and `recipe-file.json` read into memory (each capped) and checked:
 *      manifest schema, the gateway's tenant and controllerId (the controller binding), at least one
 *      signature verified with a key of the trust store, the recipe file's schema; the manifest's
 *      recipe id, name and version must be the signed file's (`_recipe.id`, `_recipe.name`,
 *      `software.version`), so nothing the agent acts on comes from unsigned bytes but `actionId`;
 *   3. anti-rollback: a recipe older (natural order of its version) than the installed recipe of the
 *      same name is refused (SOUP_E_DOWNGRADE) unless `allowDowngrade`;
 *   4. free space for every declared byte in the destination's file system;
 *   5. the artifacts: exactly those the recipe names, each entry's size equal to its declared `byteSize`;
 *   6. only then the folder is created and the artifacts copied out one by one, each exactly its
 *      declared size and checked against its SHA-256.
 * Every fault is one SoupError SOUP_E_BUNDLE (or SOUP_E_DOWNGRADE) line; nothing is left behind.
 * The folder has the layout of an action's folder (`recipe-file.json`, `signatures.json`,
 * `artifacts/<id>`), so the engine finds everything where an online fetch and download would put it.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, rm, statfs, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isSoupError, oneLine, SoupError } from '../../lib/errors.js';
import { type Jwks, verifyDetached } from '../../recipe/jws.js';
import { naturalCompare } from '../../recipe/natural.js';
import { parseRecipeFile } from '../../recipe/schema.js';
import type { RecipeFile, RecipeFileArtifact } from '../../recipe/types.js';
import { describeFault, SIGNATURES } from '../install-api/documents.js';
import {
  ARTIFACTS_DIR,
  allowedEntry,
  artifactFileName,
  type BundleManifest,
  checkManifest,
  MANIFEST_ENTRY,
  RECIPE_ENTRY,
  recipeArtifacts,
  SIGNATURES_ENTRY,
} from './manifest.js';
import { type ByteSource, fileSource, readTarIndex, type TarEntry } from './tar.js';

const fail = (message: string) => new SoupError('SOUP_E_BUNDLE', `bundle: ${message}`);

/** Caps of the three documents (the recipe file as online: `install-api.md`). */
const CAPS: Record<string, number> = {
  [MANIFEST_ENTRY]: 64 * 1024,
  [SIGNATURES_ENTRY]: 1024 * 1024,
  [RECIPE_ENTRY]: 4 * 1024 * 1024,
};
const COPY_CHUNK = 256 * 1024;

export interface OpenedBundle {
  manifest: BundleManifest;
  recipe: RecipeFile;
  /** The folder it was extracted to. */
  dir: string;
}

export interface BundleExpectations {
  tenant: string;
  controllerId: string;
  /** The recipe installed on this gateway (anti-rollback), if any. */
  installed?: { id: string; name: string; version: string } | undefined;
  /** The operator's `install --allow-downgrade`. */
  allowDowngrade?: boolean;
}

/** Checks the tar index: allowed plain files, each once, the three documents present. */
function checkIndex(entries: TarEntry[]): Map<string, TarEntry> {
  const files = new Map<string, TarEntry>();
  for (const e of entries) {
    if (e.type === 'directory' && e.name.replace(/\/$/, '') === ARTIFACTS_DIR) continue;
    if (e.type !== 'file' || !allowedEntry(e.name))
      throw fail(
        `unexpected entry ${JSON.stringify(e.name).slice(1, -1)}${e.type === 'other' ? ` (tar type ${JSON.stringify(e.flag)})` : ''} (only bundle.json, recipe-file.json, signatures.json, artifacts/<id>)`,
      );
    if (files.has(e.name)) throw fail(`entry ${e.name} appears twice`);
    files.set(e.name, e);
  }
  for (const required of [MANIFEST_ENTRY, RECIPE_ENTRY, SIGNATURES_ENTRY])
    if (!files.has(required)) throw fail(`${required} is missing`);
  return files;
}

async function readDocument(source: ByteSource, files: Map<string, TarEntry>, name: string): Promise<Buffer> {
  const entry = files.get(name) as TarEntry;
  const cap = CAPS[name] as number;
  if (entry.size > cap) throw fail(`${name} is larger than ${cap} bytes`);
  return source.read(entry.offset, entry.size);
}

function parseJson(name: string, bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw fail(`${name} is not valid JSON (${oneLine(err)})`);
  }
}

/** Steps 2 and 3: the documents, the controller binding, the signature, the recipe, anti-rollback. */
async function checkDocuments(
  source: ByteSource,
  files: Map<string, TarEntry>,
  expect: BundleExpectations,
  trust: () => Promise<Jwks>,
): Promise<{ manifest: BundleManifest; recipe: RecipeFile; docs: Record<string, Buffer> }> {
  const docs: Record<string, Buffer> = {};
  for (const name of [MANIFEST_ENTRY, SIGNATURES_ENTRY, RECIPE_ENTRY])
    docs[name] = await readDocument(source, files, name);
  const manifest = checkManifest(parseJson(MANIFEST_ENTRY, docs[MANIFEST_ENTRY] as Buffer));
  if (manifest.tenant !== expect.tenant || manifest.controllerId !== expect.controllerId)
    throw fail(
      `made for ${manifest.tenant}/${manifest.controllerId}, this gateway is ${expect.tenant}/${expect.controllerId}`,
    );
  const list = parseJson(SIGNATURES_ENTRY, docs[SIGNATURES_ENTRY] as Buffer);
  if (!SIGNATURES.validate(list))
    throw fail(`${SIGNATURES_ENTRY}: ${describeFault(SIGNATURES.validate.errors)}`);
  const values = list.signatures.filter((s) => (s.format ?? 'jws') === 'jws').map((s) => s.value);
  if (values.length === 0) throw fail('signatures.json holds no JWS signature');
  let keys: Jwks;
  try {
    keys = await trust();
  } catch (err) {
    throw fail(`the trust store is unusable (${oneLine(err)})`);
  }
  const bytes = new Uint8Array(docs[RECIPE_ENTRY] as Buffer);
  const verified = await verifyDetached(bytes, values, keys);
  if (!verified.ok) throw fail(`recipe-file.json: signature: ${verified.reasons.join('; ')}`);
  let recipe: RecipeFile;
  try {
    recipe = parseRecipeFile(bytes);
  } catch (err) {
    throw fail(`recipe-file.json: ${oneLine(err)}`);
  }
  const signed = { id: recipe._recipe.id, name: recipe._recipe.name, version: recipe.software.version };
  for (const key of ['id', 'name', 'version'] as const)
    if (manifest.recipe[key] !== signed[key])
      throw fail(
        `bundle.json recipe.${key} ${manifest.recipe[key]} differs from the recipe file's ${signed[key]}`,
      );
  const installed = expect.installed;
  if (
    installed !== undefined &&
    installed.name === signed.name &&
    naturalCompare(signed.version, installed.version) < 0 &&
    expect.allowDowngrade !== true
  )
    throw new SoupError(
      'SOUP_E_DOWNGRADE',
      `bundle: recipe ${signed.name} ${signed.version} is older than the installed ${installed.version}; nothing was changed (install --allow-downgrade to install it anyway)`,
    );
  return { manifest, recipe, docs };
}

/** Step 5: the entries of exactly the artifacts the recipe names, each of its declared size. */
function artifactEntries(
  files: Map<string, TarEntry>,
  wanted: RecipeFileArtifact[],
): [RecipeFileArtifact, TarEntry][] {
  const byName = new Map(wanted.map((a) => [`${ARTIFACTS_DIR}/${artifactFileName(a.id)}`, a]));
  for (const name of files.keys())
    if (name.startsWith(`${ARTIFACTS_DIR}/`) && !byName.has(name))
      throw fail(`${name} is not named by the recipe file`);
  return [...byName].map(([name, a]) => {
    const entry = files.get(name);
    if (entry === undefined) throw fail(`${name} (${a.filename}) is missing`);
    if (entry.size !== a.byteSize)
      throw fail(`${name} (${a.filename}) holds ${entry.size} bytes, the recipe says ${a.byteSize}`);
    return [a, entry];
  });
}

/** Step 4: the artifacts and documents fit in the destination's file system. */
async function checkFreeSpace(dir: string, bytes: number): Promise<void> {
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const fs = await statfs(parent);
  const free = fs.bavail * fs.bsize;
  if (free < bytes) throw fail(`needs ${bytes} bytes in ${parent}, ${free} are free (nothing was extracted)`);
}

/** Copies exactly `entry.size` bytes out of the archive into `path`, hashing them on the way. */
async function extract(source: ByteSource, entry: TarEntry, path: string): Promise<string> {
  const hash = createHash('sha256');
  const out = await open(path, 'wx');
  try {
    for (let done = 0; done < entry.size; ) {
      const chunk = await source.read(entry.offset + done, Math.min(COPY_CHUNK, entry.size - done));
      hash.update(chunk);
      await out.write(chunk);
      done += chunk.length;
    }
  } finally {
    await out.close();
  }
  return hash.digest('hex');
}

/**
 * Opens `file` (a path or a byte source), checks it and extracts it into `dir` (created; replaced if it
 * exists). Throws SOUP_E_BUNDLE / SOUP_E_DOWNGRADE, leaving no `dir` behind.
 */
export async function openBundle(
  file: string | ByteSource,
  dir: string,
  expect: BundleExpectations,
  trust: () => Promise<Jwks>,
): Promise<OpenedBundle> {
  const source = typeof file === 'string' ? await fileSource(file) : file;
  let created = false;
  try {
    const files = checkIndex(await readTarIndex(source));
    const { manifest, recipe, docs } = await checkDocuments(source, files, expect, trust);
    const wanted = recipeArtifacts(recipe);
    const total = wanted.reduce((sum, a) => sum + a.byteSize, 0);
    await checkFreeSpace(dir, total + Object.values(docs).reduce((sum, d) => sum + d.length, 0));
    const artifacts = artifactEntries(files, wanted);
    await rm(dir, { recursive: true, force: true });
    created = true;
    await mkdir(join(dir, ARTIFACTS_DIR), { recursive: true });
    for (const [name, bytes] of Object.entries(docs)) await writeFile(join(dir, name), bytes);
    for (const [a, entry] of artifacts) {
      const sha = await extract(source, entry, join(dir, entry.name));
      if (sha !== a.sha256)
        throw fail(`${entry.name} (${a.filename}) does not match its SHA-256 in the recipe file`);
    }
    return { manifest, recipe, dir };
  } catch (err) {
    if (created) await rm(dir, { recursive: true, force: true });
    if (isSoupError(err, 'SOUP_E_BUNDLE') || isSoupError(err, 'SOUP_E_DOWNGRADE')) throw err;
    throw fail(oneLine(err));
  } finally {
    await source.close();
  }
}
