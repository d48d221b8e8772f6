/**
 * Opening a bundle on the gateway: list it (names and entry types only), extract it streaming into a
 * fresh folder, then check it before anything else sees it — manifest schema and controller, at least one
 * signature verified with a key of the trust store, the recipe file's schema, and every artifact the
 * recipe names present with its declared size and SHA-256. Any fault is one SoupError SOUP_E_BUNDLE line.
 * The extracted folder has the layout of an action's folder (`recipe-file.json`, `signatures.json`,
 * `artifacts/<id>`), so the engine finds everything where an online fetch and download would put it.
 */
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as tar from 'tar';
import { sha256OfFile } from '../../handlers/file-io.js';
import { isSoupError, oneLine, SoupError } from '../../lib/errors.js';
import { type Jwks, verifyDetached } from '../../recipe/jws.js';
import { parseRecipeFile } from '../../recipe/schema.js';
import type { RecipeFile } from '../../recipe/types.js';
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

const fail = (message: string) => new SoupError('SOUP_E_BUNDLE', `bundle: ${message}`);

export interface OpenedBundle {
  manifest: BundleManifest;
  recipe: RecipeFile;
  /** The folder it was extracted to. */
  dir: string;
}

async function listEntries(file: string): Promise<string[]> {
  const names: string[] = [];
  const bad: string[] = [];
  try {
    await stat(file);
  } catch (err) {
    throw fail(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    await tar.t({
      file,
      strict: true,
      onReadEntry: (entry) => {
        const path = entry.path.replace(/^\.\//, '');
        if (entry.type === 'Directory' && path.replace(/\/$/, '') === ARTIFACTS_DIR) return;
        if (entry.type !== 'File' || !allowedEntry(path)) bad.push(path);
        else names.push(path);
      },
    });
  } catch (err) {
    throw fail(`${file} is not a readable tar file (${oneLine(err)})`);
  }
  if (bad.length > 0)
    throw fail(
      `unexpected entry ${bad[0]} (only bundle.json, recipe-file.json, signatures.json, artifacts/<id>)`,
    );
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw fail(`entry ${dup} appears twice`);
  for (const required of [MANIFEST_ENTRY, RECIPE_ENTRY, SIGNATURES_ENTRY]) {
    if (!names.includes(required)) throw fail(`${required} is missing`);
  }
  return names;
}

async function readJson(dir: string, entry: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(join(dir, entry), 'utf8'));
  } catch (err) {
    throw fail(`${entry} is not valid JSON (${(err as Error).message})`);
  }
}

/** Extracts `file` into `dir` (created; must not exist) and checks it; removes `dir` when it fails. */
export async function openBundle(
  file: string,
  dir: string,
  expect: { tenant: string; controllerId: string },
  trust: () => Promise<Jwks>,
): Promise<OpenedBundle> {
  const names = await listEntries(file);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    await tar.x({
      file,
      cwd: dir,
      strict: true,
      preservePaths: false,
      filter: (path, entry) =>
        'type' in entry && entry.type === 'File' && allowedEntry(path.replace(/^\.\//, '')),
    });
    const manifest = checkManifest(await readJson(dir, MANIFEST_ENTRY));
    if (manifest.tenant !== expect.tenant || manifest.controllerId !== expect.controllerId) {
      throw fail(
        `made for ${manifest.tenant}/${manifest.controllerId}, this gateway is ${expect.tenant}/${expect.controllerId}`,
      );
    }
    const bytes = new Uint8Array(await readFile(join(dir, RECIPE_ENTRY)));
    const list = (await readJson(dir, SIGNATURES_ENTRY)) as {
      signatures?: { format?: string; value?: unknown }[];
    };
    const values = (Array.isArray(list?.signatures) ? list.signatures : [])
      .filter((s) => (s.format ?? 'jws') === 'jws' && typeof s.value === 'string')
      .map((s) => s.value as string);
    if (values.length === 0) throw fail('signatures.json holds no JWS signature');
    let keys: Jwks;
    try {
      keys = await trust();
    } catch (err) {
      throw fail(`the trust store is unusable (${oneLine(err)})`);
    }
    const verified = await verifyDetached(bytes, values, keys);
    if (!verified.ok) throw fail(`recipe-file.json: signature: ${verified.reasons.join('; ')}`);
    let recipe: RecipeFile;
    try {
      recipe = parseRecipeFile(bytes);
    } catch (err) {
      throw fail(`recipe-file.json: ${oneLine(err)}`);
    }
    if (recipe._recipe.id !== manifest.recipe.id)
      throw fail(
        `bundle.json recipe.id ${manifest.recipe.id} differs from the recipe file's ${recipe._recipe.id}`,
      );
    const wanted = recipeArtifacts(recipe);
    const wantedNames = new Set(wanted.map((a) => `${ARTIFACTS_DIR}/${artifactFileName(a.id)}`));
    const extra = names.find((n) => n.startsWith(`${ARTIFACTS_DIR}/`) && !wantedNames.has(n));
    if (extra !== undefined) throw fail(`${extra} is not named by the recipe file`);
    for (const a of wanted) {
      const entry = `${ARTIFACTS_DIR}/${artifactFileName(a.id)}`;
      if (!names.includes(entry)) throw fail(`${entry} (${a.filename}) is missing`);
      let sha: string;
      try {
        sha = await sha256OfFile(join(dir, entry), a.byteSize);
        const { size } = await stat(join(dir, entry));
        if (size !== a.byteSize)
          throw fail(`${entry} (${a.filename}) holds ${size} bytes, the recipe says ${a.byteSize}`);
      } catch (err) {
        if (isSoupError(err, 'SOUP_E_BUNDLE')) throw err;
        throw fail(`${entry} (${a.filename}): ${oneLine(err)}`);
      }
      if (sha !== a.sha256)
        throw fail(`${entry} (${a.filename}) does not match its SHA-256 in the recipe file`);
    }
    return { manifest, recipe, dir };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    if (isSoupError(err, 'SOUP_E_BUNDLE')) throw err;
    throw fail(oneLine(err));
  }
}
