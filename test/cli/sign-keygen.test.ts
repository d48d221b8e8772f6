/**
 * `soup-agent keygen` and `sign`: the happy path and one failure of each as real processes (exit code,
 * one stderr line); the other failures in-process through the same command functions (spawning the
 * whole CLI costs seconds on a loaded machine).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliExit } from '../../src/cli/exit.js';
import { keygenCommand } from '../../src/cli/keygen.js';
import { signCommand } from '../../src/cli/sign.js';
import { type Jwks, verifyDetached } from '../../src/recipe/jws.js';
import { exampleRecipeFile } from '../recipe/fixtures.js';

const cli = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
const SPAWN_TIMEOUT = 120_000;
let dir: string;

function run(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
}

async function cliExitOf(p: Promise<unknown>): Promise<CliExit> {
  try {
    await p;
  } catch (err) {
    if (err instanceof CliExit) return err;
    throw err;
  }
  throw new Error('no CliExit');
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` first');
  dir = mkdtempSync(join(tmpdir(), 'soup-sign-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('soup-agent keygen and sign (processes)', () => {
  it(
    'keygen writes the key pair, sign prints a JWS that verifies against the JWKS',
    async () => {
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
    },
    SPAWN_TIMEOUT,
  );

  it(
    'sign and keygen exit 2 with one line on bad input',
    () => {
      const invalid = join(dir, 'invalid.json');
      const file = exampleRecipeFile() as unknown as { software: { images: { sha256: string }[] } };
      file.software.images[0]!.sha256 = 'nope';
      writeFileSync(invalid, JSON.stringify(file));
      const cases: [string[], RegExp][] = [
        [['sign', '--key', join(dir, 'missing.jwk'), invalid], /key .*missing\.jwk: ENOENT/],
        [['keygen', '--kid', '../evil', '--out', dir], /--kid "..\/evil"/],
      ];
      for (const [args, message] of cases) {
        const r = run(...args);
        expect([args[0], r.status]).toEqual([args[0], 2]);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toMatch(/\n\s+at /);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stdout).toBe('');
      }
    },
    SPAWN_TIMEOUT,
  );
});

describe('keygen and sign commands (in-process)', () => {
  it('keygen --alg PS256 makes an RSA pair; an existing private key is never overwritten', async () => {
    const keys = join(dir, 'rsa');
    const paths = await keygenCommand({ kid: 'rsa-1', alg: 'PS256', out: keys });
    expect(paths).toEqual([join(keys, 'rsa-1.private.jwk.json'), join(keys, 'rsa-1.jwks.json')]);
    const jwks = JSON.parse(readFileSync(join(keys, 'rsa-1.jwks.json'), 'utf8')) as Jwks;
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'PS256' });
    const again = await cliExitOf(keygenCommand({ kid: 'rsa-1', alg: 'ES256', out: keys }));
    expect(again.exitCode).toBe(2);
    expect(again.message).toMatch(/exists: not overwriting a private key/);
  });

  it('keygen offers exactly the algs the JWS module allows', async () => {
    const { ALLOWED_ALGS } = await import('../../src/recipe/jws.js');
    for (const alg of ALLOWED_ALGS) {
      // the alg is checked first: a kid error means the alg passed
      expect((await cliExitOf(keygenCommand({ kid: '../x', alg, out: dir }))).message).toMatch(/^--kid/);
    }
    const refused = await cliExitOf(keygenCommand({ kid: 'k', alg: 'ES512', out: dir }));
    expect(refused.message).toBe(`--alg ES512: use one of ${ALLOWED_ALGS.join(', ')}`);
  });

  it('keygen refuses a kid that is not a file name and an alg outside the allowed set', async () => {
    const badKid = await cliExitOf(keygenCommand({ kid: 'a/b', alg: 'ES256', out: dir }));
    expect([badKid.exitCode, badKid.message]).toEqual([2, expect.stringMatching(/--kid "a\/b"/)]);
    const badAlg = await cliExitOf(keygenCommand({ kid: 'k', alg: 'HS256', out: dir }));
    expect([badAlg.exitCode, badAlg.message]).toEqual([
      2,
      '--alg HS256: use one of ES256, ES384, RS256, PS256',
    ]);
  });

  it('sign uses --kid over the JWK kid', async () => {
    const keys = join(dir, 'kid');
    const [privatePath, publicPath] = await keygenCommand({ kid: 'k0', alg: 'ES256', out: keys });
    const recipePath = join(dir, 'kid.json');
    writeFileSync(recipePath, JSON.stringify(exampleRecipeFile()));
    const jws = await signCommand(recipePath, { key: privatePath!, kid: 'other' });
    const header = JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString());
    expect(header).toEqual({ alg: 'ES256', kid: 'other' });
    const jwks = JSON.parse(readFileSync(publicPath!, 'utf8')) as Jwks;
    expect((await verifyDetached(readFileSync(recipePath), [jws], jwks)).ok).toBe(false); // kid other is not trusted
  });

  it('sign exits 2 on a bad key or a bad recipe file', async () => {
    const keys = join(dir, 'bad');
    const [privatePath, publicPath] = await keygenCommand({ kid: 'k1', alg: 'ES256', out: keys });
    const recipePath = join(dir, 'ok.json');
    writeFileSync(recipePath, JSON.stringify(exampleRecipeFile()));
    const garbageKey = join(dir, 'garbage.key');
    writeFileSync(garbageKey, 'not a key');
    const notJwk = join(dir, 'array.jwk');
    writeFileSync(notJwk, '{ oops');
    const brokenJson = join(dir, 'broken.json');
    writeFileSync(brokenJson, '{"_recipe": }');
    const cases: [string, string, RegExp][] = [
      [garbageKey, recipePath, /not a usable PEM key/],
      [notJwk, recipePath, /not a JWK \(a JSON object\) nor a PEM key/],
      [publicPath!, recipePath, /not a JWK|public key|usable/],
      [privatePath!, join(dir, 'missing.json'), /recipe file .*missing\.json: ENOENT/],
      [privatePath!, brokenJson, /not valid JSON at byte 12/],
    ];
    for (const [key, recipe, message] of cases) {
      const exit = await cliExitOf(signCommand(recipe, { key }));
      expect([key, recipe, exit.exitCode]).toEqual([key, recipe, 2]);
      expect(exit.message).toMatch(message);
      expect(exit.message).not.toContain('\n');
    }
  }, 120_000);
});
