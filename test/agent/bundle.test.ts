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
import { type BundleExpectations, openBundle } from '../../src/agent/bundle/open.js';
import { type ByteSource, bufferSource, readTarIndex, type TarEntry } from '../../src/agent/bundle/tar.js';
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

async function refusal(
  file: string | ByteSource,
  expect_: Partial<BundleExpectations> = {},
  code: 'SOUP_E_BUNDLE' | 'SOUP_E_DOWNGRADE' = 'SOUP_E_BUNDLE',
): Promise<string> {
  const dest = join(root, `out-${++n}`, 'bundle');
  try {
    await openBundle(file, dest, { ...who, ...expect_ }, async () => trusted);
  } catch (err) {
    expect(isSoupError(err, code), String(err)).toBe(true);
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
    const extra = new Map(good.artifacts).set('stowaway', Buffer.from('x'));
    expect(await refusal(await pack({ ...good, artifacts: extra }))).toMatch(
      /artifacts\/stowaway is not named by the recipe file/,
    );
    // a name that is not a path segment's encoding (lib/path-segment.ts) is no artifact entry at all
    const odd = new Map(good.artifacts).set('stowaway.bin', Buffer.from('x'));
    expect(await refusal(await pack({ ...good, artifacts: odd }))).toMatch(
      /unexpected entry artifacts\/stowaway\.bin/,
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
    expect(await refusal(root)).toMatch(/is not a regular file/);
    expect(await refusal('/dev/zero')).toBe('bundle: /dev/zero is not a regular file');
  });
});

/** The signed parts of `good` with another recipe name/version (signed again). */
async function variant(name: string, version: string): Promise<Parts> {
  const file = JSON.parse(good.recipe.toString()) as {
    _recipe: { name: string };
    software: { version: string };
  };
  file._recipe.name = name;
  file.software.version = version;
  const recipe = Buffer.from(JSON.stringify(file, null, 2));
  return {
    ...good,
    manifest: { ...good.manifest, recipe: { ...(good.manifest.recipe as object), name, version } },
    recipe,
    signatures: { signatures: [{ id: '1', format: 'jws', value: await signDetached(recipe, privateJwk) }] },
  };
}

describe('offline bundle: checked before anything is extracted', () => {
  it('bundle.json must name the signed recipe: id, name and version', async () => {
    const names = good.manifest.recipe as { id: string; name: string; version: string };
    expect(
      await refusal(
        await pack({ ...good, manifest: { ...good.manifest, recipe: { ...names, version: '99.0' } } }),
      ),
    ).toMatch(/bundle\.json recipe\.version 99\.0 differs from the recipe file's/);
    expect(
      await refusal(
        await pack({ ...good, manifest: { ...good.manifest, recipe: { ...names, name: 'other' } } }),
      ),
    ).toMatch(/bundle\.json recipe\.name other differs/);
  });

  it('anti-rollback: an older recipe of the same name is refused unless allowed; others pass', async () => {
    const installed = { id: '41', name: 'gw-fleet-A', version: '2.10.0' };
    const older = await pack(await variant('gw-fleet-A', '2.9.9'));
    const line = await refusal(older, { installed }, 'SOUP_E_DOWNGRADE');
    expect(line).toBe(
      'bundle: recipe gw-fleet-A 2.9.9 is older than the installed 2.10.0; nothing was changed (install --allow-downgrade to install it anyway)',
    );
    const allowed = join(root, `out-${++n}`);
    await openBundle(older, allowed, { ...who, installed, allowDowngrade: true }, async () => trusted);
    expect(existsSync(join(allowed, 'recipe-file.json'))).toBe(true);
    // same version (a re-install), newer in natural order, another recipe name: no rollback
    for (const [name, version] of [
      ['gw-fleet-A', '2.10.0'],
      ['gw-fleet-A', '2.10.0-1'],
      ['gw-fleet-B', '1.0'],
    ]) {
      const dest = join(root, `out-${++n}`);
      await openBundle(
        await pack(await variant(name as string, version as string)),
        dest,
        { ...who, installed },
        async () => trusted,
      );
    }
  });

  it('an artifact entry larger or smaller than its declared size is refused before extraction', async () => {
    const [first] = [...good.artifacts.keys()];
    const bigger = new Map(good.artifacts);
    bigger.set(
      first as string,
      Buffer.concat([good.artifacts.get(first as string) as Buffer, Buffer.from('more')]),
    );
    expect(await refusal(await pack({ ...good, artifacts: bigger }))).toMatch(
      new RegExp(`artifacts/${first} \\(.*\\) holds \\d+ bytes, the recipe says \\d+`),
    );
  });

  it('a document over its cap is refused without being read', async () => {
    const pad = Buffer.alloc(64 * 1024 + 1, 0x20);
    const dir = join(root, `src-${++n}`);
    mkdirSync(join(dir, 'artifacts'), { recursive: true });
    writeFileSync(join(dir, 'bundle.json'), Buffer.concat([Buffer.from(JSON.stringify(good.manifest)), pad]));
    writeFileSync(join(dir, 'recipe-file.json'), good.recipe);
    writeFileSync(join(dir, 'signatures.json'), JSON.stringify(good.signatures));
    const file = join(root, `bundle-${n}.tar`);
    await tar.c({ file, cwd: dir, portable: true }, ['bundle.json', 'recipe-file.json', 'signatures.json']);
    expect(await refusal(file)).toBe('bundle: bundle.json is larger than 65536 bytes');
  });

  it('a truncated bundle is refused wherever it is cut, naming the byte offset', async () => {
    const bytes = readFileSync(await pack(good));
    const entries = await readTarIndex(bufferSource(bytes));
    const last = entries.at(-1) as TarEntry;
    const cuts = [0, 100, 511, 512, 1000, 1536, last.offset - 1, last.offset + 1, last.offset + last.size];
    for (const cut of cuts) {
      const line = await refusal(bufferSource(bytes.subarray(0, cut)));
      expect(line).toMatch(/^bundle: not a readable tar file: (truncated|header at byte \d+)/);
    }
  });

  it('a tampered header (checksum) and a path that leaves the folder are refused', async () => {
    const bytes = Buffer.from(readFileSync(await pack(good)));
    const flipped = Buffer.from(bytes);
    flipped[10] = (flipped[10] ?? 0) ^ 0x40;
    expect(await refusal(bufferSource(flipped))).toBe(
      'bundle: not a readable tar file: header at byte 0: checksum mismatch',
    );
    const evil = await pack(good, (dir) => {
      writeFileSync(join(dir, 'x'), 'x');
      return ['x'];
    });
    const raw = Buffer.from(readFileSync(evil));
    // rename the last entry `x` to `artifacts/..` and fix its checksum
    const header =
      ((await readTarIndex(bufferSource(raw))).find((e) => e.name === 'x') as TarEntry).offset - 512;
    raw.write('artifacts/..\0', header, 'latin1');
    raw.fill(0x20, header + 148, header + 156);
    let sum = 0;
    for (let i = header; i < header + 512; i++) sum += raw[i] as number;
    raw.write(`${sum.toString(8).padStart(6, '0')}\0 `, header + 148, 'latin1');
    expect(await refusal(bufferSource(raw))).toMatch(/unexpected entry artifacts\/\.\./);
  });

  it('free space is checked for every declared byte before anything is extracted', async () => {
    const file = JSON.parse(good.recipe.toString()) as Parameters<typeof recipeArtifacts>[0];
    const [a] = recipeArtifacts(file);
    (a as { byteSize: number }).byteSize = 2 ** 50; // 1 PiB: more than any test machine has
    const recipe = Buffer.from(JSON.stringify(file, null, 2));
    const parts = {
      ...good,
      recipe,
      signatures: { signatures: [{ id: '1', format: 'jws', value: await signDetached(recipe, privateJwk) }] },
    };
    expect(await refusal(await pack(parts))).toMatch(
      /needs \d+ bytes in .*, \d+ are free \(nothing was extracted\)/,
    );
  });
});
