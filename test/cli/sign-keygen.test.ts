import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Jwks, verifyDetached } from '../../src/recipe/jws.js';
import { exampleRecipeFile } from '../recipe/fixtures.js';

const cli = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
let dir: string;

function run(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` first');
  dir = mkdtempSync(join(tmpdir(), 'soup-sign-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('soup-agent keygen and sign', () => {
  it('keygen writes the key pair, sign prints a JWS that verifies against the JWKS', async () => {
    const keys = join(dir, 'keys');
    const gen = run('keygen', '--kid', 'oem-2026', '--out', keys);
    expect(gen.stderr).toBe('');
    expect(gen.status).toBe(0);
    const privatePath = join(keys, 'oem-2026.private.jwk.json');
    const publicPath = join(keys, 'oem-2026.jwks.json');
    expect(gen.stdout.trim().split('\n')).toEqual([privatePath, publicPath]);
    expect(statSync(privatePath).mode & 0o777).toBe(0o600);
    const jwks = JSON.parse(readFileSync(publicPath, 'utf8')) as Jwks;
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', kid: 'oem-2026', alg: 'ES256' });
    expect(jwks.keys[0]).not.toHaveProperty('d');

    const recipePath = join(dir, 'recipe.json');
    const bytes = Buffer.from(`${JSON.stringify(exampleRecipeFile(), null, 2)}\n`);
    writeFileSync(recipePath, bytes);
    const signed = run('sign', '--key', privatePath, recipePath);
    expect(signed.stderr).toBe('');
    expect(signed.status).toBe(0);
    const jws = signed.stdout.trim();
    expect(jws).toMatch(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]{86}$/);
    expect(await verifyDetached(bytes, [jws], jwks)).toEqual({ ok: true, kid: 'oem-2026', alg: 'ES256' });
    // the exact bytes: one more byte and it no longer verifies
    expect((await verifyDetached(Buffer.concat([bytes, Buffer.from(' ')]), [jws], jwks)).ok).toBe(false);

    const withKid = run('sign', '--key', privatePath, '--kid', 'other', recipePath);
    expect(withKid.status).toBe(0);
    expect((await verifyDetached(bytes, [withKid.stdout.trim()], jwks)).ok).toBe(false); // kid other is not trusted
  });

  it('keygen --alg PS256 makes an RSA pair; an existing private key is never overwritten', () => {
    const keys = join(dir, 'rsa');
    expect(run('keygen', '--kid', 'rsa-1', '--alg', 'PS256', '--out', keys).status).toBe(0);
    const jwks = JSON.parse(readFileSync(join(keys, 'rsa-1.jwks.json'), 'utf8')) as Jwks;
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'PS256' });
    const again = run('keygen', '--kid', 'rsa-1', '--out', keys);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/exists: not overwriting a private key/);
  });

  it.each([
    [['keygen', '--kid', '../evil', '--out', '.'], /--kid "..\/evil"/],
    [
      ['keygen', '--kid', 'k', '--alg', 'HS256', '--out', '.'],
      /--alg HS256: use one of ES256, ES384, RS256, PS256/,
    ],
  ])('keygen %j exits 2 with one line', (args, message) => {
    const r = run(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('sign exits 2 with one line on a bad key or a bad file', () => {
    const keys = join(dir, 'bad');
    expect(run('keygen', '--kid', 'k1', '--out', keys).status).toBe(0);
    const privatePath = join(keys, 'k1.private.jwk.json');
    const recipePath = join(dir, 'ok.json');
    writeFileSync(recipePath, JSON.stringify(exampleRecipeFile()));
    const garbageKey = join(dir, 'garbage.key');
    writeFileSync(garbageKey, 'not a key');
    const brokenJson = join(dir, 'broken.json');
    writeFileSync(brokenJson, '{"_recipe": }');
    const invalid = join(dir, 'invalid.json');
    const file = exampleRecipeFile() as unknown as { software: { images: { sha256: string }[] } };
    file.software.images[0]!.sha256 = 'nope';
    writeFileSync(invalid, JSON.stringify(file));
    const cases: [string[], RegExp][] = [
      [['sign', '--key', join(dir, 'missing.jwk'), recipePath], /key .*missing\.jwk: ENOENT/],
      [['sign', '--key', garbageKey, recipePath], /not a usable PEM key/],
      [['sign', '--key', join(keys, 'k1.jwks.json'), recipePath], /not a JWK|public key|usable/],
      [['sign', '--key', privatePath, join(dir, 'missing.json')], /recipe file .*missing\.json: ENOENT/],
      [['sign', '--key', privatePath, brokenJson], /not valid JSON at byte 12/],
      [['sign', '--key', privatePath, invalid], /software\.images\[0\]\.sha256: must match pattern/],
    ];
    for (const [args, message] of cases) {
      const r = run(...args);
      expect([args.at(-1), r.status]).toEqual([args.at(-1), 2]);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
  }, 120_000);
});
