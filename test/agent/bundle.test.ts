/**
 * Opening an offline bundle (src/agent/bundle/open.ts): real tar files, real ES256 keys and detached
 * signatures, real files. A good bundle opens into the action-folder layout; each kind of damage is
 * refused with one SOUP_E_BUNDLE line naming what is wrong, and leaves no extracted folder behind.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { beforeAll, describe, expect, it } from 'vitest';
import { artifactFileName, recipeArtifacts } from '../../src/agent/bundle/manifest.js';
import { openBundle } from '../../src/agent/bundle/open.js';
import { isSoupError } from '../../src/lib/errors.js';
import { generateSigningKey, type Jwks, signDetached } from '../../src/recipe/jws.js';
import { exampleRecipeFile } from '../recipe/fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'soup-bundle-'));
const who = { tenant: 'DEFAULT', controllerId: 'gw-0001' };
let trusted: Jwks;
let rogue: Jwks;
let privateJwk: Record<string, unknown>;
let n = 0;

interface Parts {
  manifest: Record<string, unknown>;
  recipe: Buffer;
  signatures: unknown;
  artifacts: Map<string, Buffer>;
}

let good: Parts;

/** Writes `parts` (plus `extra` entries) as a tar file; returns its path. */
async function pack(parts: Parts, extra: (dir: string) => string[] = () => []): Promise<string> {
  const dir = join(root, `src-${++n}`);
  mkdirSync(join(dir, 'artifacts'), { recursive: true });
  writeFileSync(join(dir, 'bundle.json'), JSON.stringify(parts.manifest));
  writeFileSync(join(dir, 'recipe-file.json'), parts.recipe);
  writeFileSync(join(dir, 'signatures.json'), JSON.stringify(parts.signatures));
  const entries = ['bundle.json', 'recipe-file.json', 'signatures.json'];
  for (const [name, bytes] of parts.artifacts) {
    writeFileSync(join(dir, 'artifacts', name), bytes);
    entries.push(`artifacts/${name}`);
  }
  entries.push(...extra(dir));
  const file = join(root, `bundle-${n}.tar`);
  await tar.c({ file, cwd: dir, portable: true, noDirRecurse: true }, entries);
  return file;
}

async function refusal(file: string): Promise<string> {
  const dest = join(root, `out-${++n}`);
  try {
    await openBundle(file, dest, who, async () => trusted);
  } catch (err) {
    expect(isSoupError(err, 'SOUP_E_BUNDLE')).toBe(true);
    expect(existsSync(dest)).toBe(false);
    const message = (err as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    return message;
  }
  throw new Error('the bundle was accepted');
}

beforeAll(async () => {
  const keys = await generateSigningKey('oem-test');
  trusted = keys.publicJwks;
  privateJwk = keys.privateJwk;
  rogue = (await generateSigningKey('oem-test')).publicJwks;
  const file = exampleRecipeFile();
  const artifacts = new Map<string, Buffer>();
  for (const a of recipeArtifacts(file)) {
    const bytes = Buffer.from(`artifact ${a.id} ${a.filename}\n`.repeat(50));
    a.byteSize = bytes.length;
    a.sha256 = createHash('sha256').update(bytes).digest('hex');
    artifacts.set(artifactFileName(a.id), bytes);
  }
  for (const image of file.software.images ?? []) {
    const own = image._software.artifacts.find((a) => a.filename === image.filename);
    if (own !== undefined) image.sha256 = own.sha256;
  }
  const recipe = Buffer.from(JSON.stringify(file, null, 2));
  good = {
    manifest: {
      format: 'soup-bundle/1',
      ...who,
      actionId: '17',
      recipe: { id: file._recipe.id, name: file._recipe.name, version: file.software.version },
      createdAt: '2026-11-22T10:00:00.000Z',
    },
    recipe,
    signatures: { signatures: [{ id: '1', format: 'jws', value: await signDetached(recipe, privateJwk) }] },
    artifacts,
  };
});

describe('offline bundle: open and check', () => {
  it('a good bundle opens into the action-folder layout', async () => {
    const dest = join(root, 'good');
    const opened = await openBundle(await pack(good), dest, who, async () => trusted);
    expect(opened.manifest.actionId).toBe('17');
    expect(readFileSync(join(dest, 'recipe-file.json'))).toEqual(good.recipe);
    for (const [name, bytes] of good.artifacts)
      expect(readFileSync(join(dest, 'artifacts', name))).toEqual(bytes);
  });

  it('a signature by an untrusted key is refused', async () => {
    const dest = join(root, `out-${++n}`);
    await expect(openBundle(await pack(good), dest, who, async () => rogue)).rejects.toThrow(
      /recipe-file\.json: signature/,
    );
    expect(existsSync(dest)).toBe(false);
  });

  it('altered recipe bytes, an altered or missing artifact, an extra one are refused', async () => {
    const altered = Buffer.from(good.recipe.toString().replace('"version"', ' "version"'));
    expect(await refusal(await pack({ ...good, recipe: altered }))).toMatch(/recipe-file\.json: signature/);
    const [first] = [...good.artifacts.keys()];
    const flipped = new Map(good.artifacts);
    const bytes = Buffer.from(flipped.get(first as string) as Buffer);
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    flipped.set(first as string, bytes);
    expect(await refusal(await pack({ ...good, artifacts: flipped }))).toMatch(
      new RegExp(`artifacts/${first} .* does not match its SHA-256`),
    );
    const missing = new Map(good.artifacts);
    missing.delete(first as string);
    expect(await refusal(await pack({ ...good, artifacts: missing }))).toMatch(
      new RegExp(`artifacts/${first} .* is missing`),
    );
    const extra = new Map(good.artifacts).set('stowaway.bin', Buffer.from('x'));
    expect(await refusal(await pack({ ...good, artifacts: extra }))).toMatch(
      /artifacts\/stowaway\.bin is not named by the recipe file/,
    );
  });

  it('a manifest for another gateway, of another format or another recipe is refused', async () => {
    expect(
      await refusal(await pack({ ...good, manifest: { ...good.manifest, controllerId: 'gw-0002' } })),
    ).toMatch(/made for DEFAULT\/gw-0002, this gateway is DEFAULT\/gw-0001/);
    expect(
      await refusal(await pack({ ...good, manifest: { ...good.manifest, format: 'soup-bundle/9' } })),
    ).toMatch(/bundle\.json format must be equal to constant/);
    const other = { ...good.manifest, recipe: { id: '999', name: 'x', version: '1' } };
    expect(await refusal(await pack({ ...good, manifest: other }))).toMatch(/recipe\.id 999 differs/);
  });

  it('links, unknown entries and files that are not tar are refused before anything is extracted', async () => {
    expect(
      await refusal(
        await pack(good, (dir) => {
          symlinkSync('/etc/passwd', join(dir, 'artifacts', 'link'));
          return ['artifacts/link'];
        }),
      ),
    ).toMatch(/unexpected entry artifacts\/link/);
    expect(
      await refusal(
        await pack(good, (dir) => {
          writeFileSync(join(dir, 'run.sh'), 'echo hi');
          return ['run.sh'];
        }),
      ),
    ).toMatch(/unexpected entry run\.sh/);
    const junk = join(root, 'junk.tar');
    writeFileSync(junk, 'this is not a tar file at all'.repeat(40));
    expect(await refusal(junk)).toMatch(/not a readable tar file|bundle\.json is missing/);
    expect(await refusal(join(root, 'absent.tar'))).toMatch(/cannot read .*absent\.tar \(ENOENT\)/);
  });
});
