import { execFileSync } from 'node:child_process';
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  constants as cryptoConstants,
  generateKeyPairSync,
  sign,
  verify,
} from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { isSoupError } from '../../src/lib/errors.js';
import {
  ALLOWED_ALGS,
  generateSigningKey,
  type Jwks,
  parseDetachedJws,
  type SigningAlg,
  signDetached,
  verifyDetached,
} from '../../src/recipe/jws.js';

const payload = new TextEncoder().encode('{"_recipe":{"id":"42"},"software":{"version":"2.1.0"}}\n');
const b64 = (v: string | Uint8Array): string => Buffer.from(v).toString('base64url');

type Keys = { privateJwk: Record<string, unknown>; publicJwks: Jwks };
const keys = new Map<SigningAlg, Keys>();

beforeAll(async () => {
  for (const alg of ALLOWED_ALGS) keys.set(alg, await generateSigningKey(`oem-${alg.toLowerCase()}`, alg));
});

function keysOf(alg: SigningAlg): Keys {
  return keys.get(alg)!;
}

/** node:crypto parameters for an alg: the independent implementation. */
function cryptoParams(alg: string): { hash: string; opts: Record<string, unknown> } {
  if (alg === 'ES256') return { hash: 'sha256', opts: { dsaEncoding: 'ieee-p1363' } };
  if (alg === 'ES384') return { hash: 'sha384', opts: { dsaEncoding: 'ieee-p1363' } };
  if (alg === 'PS256')
    return { hash: 'sha256', opts: { padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } };
  return { hash: 'sha256', opts: {} };
}

/** Signs any header with node:crypto, as an attacker or another implementation would. */
function forge(
  header: Record<string, unknown>,
  signedPayload: Uint8Array,
  privateJwk: Record<string, unknown>,
): string {
  const h = b64(JSON.stringify(header));
  const { hash, opts } = cryptoParams(String(header.alg));
  const key = createPrivateKey({ key: privateJwk as never, format: 'jwk' });
  const sig = sign(hash, Buffer.from(`${h}.${b64(signedPayload)}`), { key, ...opts } as never);
  return `${h}..${b64(sig)}`;
}

async function reasonsFor(signatures: string[], trust: Jwks): Promise<string[]> {
  const outcome = await verifyDetached(payload, signatures, trust);
  expect(outcome.ok).toBe(false);
  return outcome.ok ? [] : outcome.reasons;
}

describe('signDetached / verifyDetached round trip', () => {
  it.each(ALLOWED_ALGS)(
    '%s: signs, verifies, and node:crypto agrees the signature is standard',
    async (alg) => {
      const { privateJwk, publicJwks } = keysOf(alg);
      const jws = await signDetached(payload, privateJwk);
      const [h, middle, s] = jws.split('.');
      expect(middle).toBe('');
      expect(JSON.parse(Buffer.from(h!, 'base64url').toString())).toEqual({ alg, kid: privateJwk.kid });
      if (alg === 'ES256') expect(Buffer.from(s!, 'base64url')).toHaveLength(64); // raw R‖S, not DER
      if (alg === 'ES384') expect(Buffer.from(s!, 'base64url')).toHaveLength(96);
      expect(await verifyDetached(payload, [jws], publicJwks)).toEqual({
        ok: true,
        kid: privateJwk.kid,
        alg,
      });

      const { hash, opts } = cryptoParams(alg);
      const pub = createPublicKey({ key: publicJwks.keys[0] as never, format: 'jwk' });
      const input = Buffer.from(`${h}.${b64(payload)}`);
      expect(verify(hash, input, { key: pub, ...opts } as never, Buffer.from(s!, 'base64url'))).toBe(true);
    },
  );

  it('accepts a signature made by node:crypto (another implementation)', async () => {
    const { privateJwk, publicJwks } = keysOf('ES256');
    const jws = forge({ alg: 'ES256', kid: privateJwk.kid }, payload, privateJwk);
    expect((await verifyDetached(payload, [jws], publicJwks)).ok).toBe(true);
  });

  it('signs with a PEM key and an explicit kid', async () => {
    const { privateJwk, publicJwks } = keysOf('ES384');
    const pem = createPrivateKey({ key: privateJwk as never, format: 'jwk' }).export({
      type: 'pkcs8',
      format: 'pem',
    });
    const jws = await signDetached(payload, pem.toString(), String(privateJwk.kid));
    expect(parseDetachedJws(jws)).toEqual({ alg: 'ES384', kid: privateJwk.kid });
    expect((await verifyDetached(payload, [jws], publicJwks)).ok).toBe(true);
  });

  it('accepts when at least one of several signatures verifies', async () => {
    const es = keysOf('ES256');
    const rs = keysOf('RS256');
    const unknown = await signDetached(payload, rs.privateJwk, 'someone-else');
    const good = await signDetached(payload, es.privateJwk);
    const outcome = await verifyDetached(payload, ['garbage', unknown, good], es.publicJwks);
    expect(outcome).toEqual({ ok: true, kid: es.privateJwk.kid, alg: 'ES256' });
  });

  it('refuses to sign with a public key, a key without kid or a key of a disallowed type', async () => {
    const { privateJwk, publicJwks } = keysOf('ES256');
    await expect(signDetached(payload, publicJwks.keys[0]!)).rejects.toThrow(/public key/);
    const { kid: _kid, ...noKid } = privateJwk;
    await expect(signDetached(payload, noKid)).rejects.toThrow(/no kid/);
    const pem = createPrivateKey({ key: privateJwk as never, format: 'jwk' }).export({
      type: 'pkcs8',
      format: 'pem',
    });
    await expect(signDetached(payload, pem.toString())).rejects.toThrow(/no kid/);
    await expect(signDetached(payload, { kty: 'oct', k: b64('secret'), kid: 'h' })).rejects.toThrow(
      /no allowed alg/,
    );
    await expect(signDetached(payload, 'not a pem')).rejects.toThrow(/not a usable PEM key/);
    const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' }).privateKey.export({ format: 'jwk' });
    await expect(signDetached(payload, { ...p521, kid: 'x' })).rejects.toThrow(
      /no allowed alg for a EC P-521 key/,
    );
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' });
    await expect(signDetached(payload, { ...rsa1024, kid: 'x' })).rejects.toThrow(
      /1024 bits is shorter than 2048/,
    );
  });
});

describe('verifyDetached rejects attacks', () => {
  it('alg none', async () => {
    const { privateJwk, publicJwks } = keysOf('ES256');
    const jws = `${b64(JSON.stringify({ alg: 'none', kid: privateJwk.kid }))}..${b64('x')}`;
    expect(await reasonsFor([jws], publicJwks)).toEqual([
      'signature 1: signature alg none is not allowed (ES256, ES384, RS256, PS256)',
    ]);
    const empty = `${b64(JSON.stringify({ alg: 'none', kid: privateJwk.kid }))}..`;
    expect((await reasonsFor([empty], publicJwks))[0]).toMatch(/missing/);
  });

  it('HS256 keyed with the public key', async () => {
    const { privateJwk, publicJwks } = keysOf('RS256');
    const pem = createPublicKey({ key: publicJwks.keys[0] as never, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    });
    const h = b64(JSON.stringify({ alg: 'HS256', kid: privateJwk.kid }));
    for (const secret of [pem.toString(), JSON.stringify(publicJwks.keys[0])]) {
      const mac = createHmac('sha256', secret)
        .update(`${h}.${b64(payload)}`)
        .digest();
      expect((await reasonsFor([`${h}..${b64(mac)}`], publicJwks))[0]).toMatch(/alg HS256 is not allowed/);
    }
  });

  it('signature stripped', async () => {
    const { privateJwk, publicJwks } = keysOf('ES256');
    const [h] = (await signDetached(payload, privateJwk)).split('.');
    expect((await reasonsFor([`${h}..`], publicJwks))[0]).toMatch(/signature value is missing/);
    expect((await reasonsFor([`${h}`], publicJwks))[0]).toMatch(/1 parts, expected 3/);
    expect(await reasonsFor([], publicJwks)).toEqual(['no signatures']);
  });

  it('a valid signature over other bytes, and the payload altered after signing', async () => {
    const { privateJwk, publicJwks } = keysOf('ES256');
    const other = await signDetached(new TextEncoder().encode('{"other":true}'), privateJwk);
    expect((await reasonsFor([other], publicJwks))[0]).toMatch(/does not verify/);
    const jws = await signDetached(payload, privateJwk);
    const altered = Uint8Array.from(payload);
    altered[10] = altered[10]! ^ 1;
    const outcome = await verifyDetached(altered, [jws], publicJwks);
    expect(outcome.ok).toBe(false);
    const trailingNewlineRemoved = payload.slice(0, -1);
    expect((await verifyDetached(trailingNewlineRemoved, [jws], publicJwks)).ok).toBe(false);
  });

  it('an unknown kid', async () => {
    const { privateJwk, publicJwks } = keysOf('ES256');
    const jws = await signDetached(payload, privateJwk, 'not-trusted');
    expect(await reasonsFor([jws], publicJwks)).toEqual([
      'signature 1: kid not-trusted is not in the trust store',
    ]);
  });

  it('an untrusted key that claims a trusted kid', async () => {
    const trusted = keysOf('ES256');
    const attacker = await generateSigningKey(String(trusted.privateJwk.kid), 'ES256');
    const jws = await signDetached(payload, attacker.privateJwk);
    expect((await reasonsFor([jws], trusted.publicJwks))[0]).toMatch(/does not verify/);
  });

  it('an alg that does not fit the trusted key', async () => {
    const es = keysOf('ES256');
    const rs = keysOf('RS256');
    // RSA-signed, but the trusted key under that kid is EC
    const jws = forge({ alg: 'RS256', kid: es.privateJwk.kid }, payload, rs.privateJwk);
    expect((await reasonsFor([jws], es.publicJwks))[0]).toMatch(/key is for alg ES256, not RS256/);
    const { alg: _alg, ...noAlg } = es.publicJwks.keys[0]!;
    expect((await reasonsFor([jws], { keys: [noAlg] }))[0]).toMatch(/RS256 needs an RSA key, not EC P-256/);
    // PS256 signature under an RS256-declared key
    const ps = forge({ alg: 'PS256', kid: rs.privateJwk.kid }, payload, rs.privateJwk);
    expect((await reasonsFor([ps], rs.publicJwks))[0]).toMatch(/key is for alg RS256, not PS256/);
  });

  it('a crit header, even when the signature itself is valid', async () => {
    const { privateJwk, publicJwks } = keysOf('ES256');
    const jws = forge({ alg: 'ES256', kid: privateJwk.kid, crit: ['exp'], exp: 1 }, payload, privateJwk);
    expect((await reasonsFor([jws], publicJwks))[0]).toMatch(/crit: not supported/);
  });

  it('b64: false (unencoded payload), even when the signature itself is valid', async () => {
    const { privateJwk, publicJwks } = keysOf('ES256');
    const header = { alg: 'ES256', kid: privateJwk.kid, b64: false, crit: ['b64'] };
    const h = b64(JSON.stringify(header));
    const key = createPrivateKey({ key: privateJwk as never, format: 'jwk' });
    const sig = sign('sha256', Buffer.concat([Buffer.from(`${h}.`), payload]), {
      key,
      dsaEncoding: 'ieee-p1363',
    });
    const reasons = await reasonsFor([`${h}..${b64(sig)}`], publicJwks);
    expect(reasons[0]).toMatch(/crit|b64/);
    const withoutCrit = { alg: 'ES256', kid: privateJwk.kid, b64: false };
    expect((await reasonsFor([forge(withoutCrit, payload, privateJwk)], publicJwks))[0]).toMatch(
      /b64: false/,
    );
  });

  it('a key embedded in the header (jwk) is not trusted', async () => {
    const trusted = keysOf('ES256');
    const attacker = await generateSigningKey('attacker', 'ES256');
    const embedded = attacker.publicJwks.keys[0]!;
    // with the attacker's own kid: not in the trust store
    const own = forge({ alg: 'ES256', kid: 'attacker', jwk: embedded }, payload, attacker.privateJwk);
    expect((await reasonsFor([own], trusted.publicJwks))[0]).toMatch(
      /kid attacker is not in the trust store/,
    );
    // claiming the trusted kid: verified with the trusted key only, so it fails
    const claimed = forge(
      { alg: 'ES256', kid: trusted.privateJwk.kid, jwk: { ...embedded, kid: trusted.privateJwk.kid } },
      payload,
      attacker.privateJwk,
    );
    expect((await reasonsFor([claimed], trusted.publicJwks))[0]).toMatch(/does not verify/);
    // jku / x5u pointing anywhere change nothing either
    const jku = forge(
      { alg: 'ES256', kid: trusted.privateJwk.kid, jku: 'http://127.0.0.1:1/keys' },
      payload,
      attacker.privateJwk,
    );
    expect((await reasonsFor([jku], trusted.publicJwks))[0]).toMatch(/does not verify/);
  });

  it('a symmetric key in the trust store is never used', async () => {
    const secret = b64('0123456789abcdef0123456789abcdef');
    const h = b64(JSON.stringify({ alg: 'ES256', kid: 'sym' }));
    const jws = `${h}..${b64(
      createHmac('sha256', Buffer.from(secret, 'base64url'))
        .update(`${h}.${b64(payload)}`)
        .digest(),
    )}`;
    expect((await reasonsFor([jws], { keys: [{ kty: 'oct', k: secret, kid: 'sym' }] }))[0]).toMatch(
      /symmetric/,
    );
  });

  it('a trust store that is not a JWKS trusts nothing', async () => {
    const { privateJwk } = keysOf('ES256');
    const jws = await signDetached(payload, privateJwk);
    expect(await reasonsFor([jws], {} as Jwks)).toEqual(['trust store is not a JWKS: no keys array']);
    expect(await reasonsFor([jws], { keys: [null as never, 'x' as never] })).toEqual([
      `signature 1: kid ${privateJwk.kid} is not in the trust store`,
    ]);
  });

  it('never imports private members from the trust store', async () => {
    const { privateJwk } = keysOf('ES256');
    // a trust store that (wrongly) holds the private JWK still verifies, with its public half
    const jws = await signDetached(payload, privateJwk);
    expect((await verifyDetached(payload, [jws], { keys: [privateJwk] })).ok).toBe(true);
  });
});

describe('parseDetachedJws', () => {
  it.each([
    ['a.b.c', /not detached/],
    ['a..b..c', /5 parts/],
    [`${b64('[]')}..abc`, /not a JSON object/],
    [`${b64('{')}..abc`, /not JSON/],
    [`${b64(JSON.stringify({ kid: 'k' }))}..abc`, /has no alg/],
    [`${b64(JSON.stringify({ alg: 'ES256' }))}..abc`, /has no kid/],
    [`${b64(JSON.stringify({ alg: 'ES512', kid: 'k' }))}..abc`, /alg ES512 is not allowed/],
    [`${b64(JSON.stringify({ alg: 'HS512', kid: 'k' }))}..abc`, /alg HS512 is not allowed/],
    ['ab+c..abc', /header is not base64url/],
  ])('%s', (compact, message) => {
    try {
      parseDetachedJws(compact);
      expect.unreachable();
    } catch (err) {
      expect(isSoupError(err, 'SOUP_E_SIGNATURE')).toBe(true);
      expect((err as Error).message).toMatch(message);
    }
  });
});

describe('loading', () => {
  it('verifying a signature does not load node-jose (only sign and keygen need it)', () => {
    const moduleUrl = new URL('../../dist/src/recipe/jws.js', import.meta.url).href;
    const script = `
      import { createRequire } from 'node:module';
      import { generateKeyPairSync, sign } from 'node:crypto';
      const { verifyDetached } = await import(${JSON.stringify(moduleUrl)});
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'k' })).toString('base64url');
      const payload = Buffer.from('recipe');
      const sig = sign('sha256', Buffer.from(header + '.' + payload.toString('base64url')), { key: privateKey, dsaEncoding: 'ieee-p1363' });
      const jwks = { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k' }] };
      const outcome = await verifyDetached(payload, [header + '..' + sig.toString('base64url')], jwks);
      const require = createRequire(import.meta.url);
      const jose = Object.keys(require.cache).some((k) => k.includes('/node_modules/node-jose/'));
      process.stdout.write(JSON.stringify({ ok: outcome.ok, jose }));
    `;
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
    ) as Record<string, unknown>;
    expect(out).toEqual({ ok: true, jose: false });
  });
});
