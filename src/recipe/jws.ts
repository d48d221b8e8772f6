/**
 * Detached JWS over the exact recipe file bytes (`install-api.md`, "GET recipes/{recipeId}/signatures").
 * Verification (the agent) uses node:crypto; signing and key generation (the `sign` and
 * `keygen` commands) use node-jose, loaded only by them: node-jose with node-forge costs a running agent
 * about 20 MiB of resident memory (docs/footprint.md).
 *
 * Compact serialization with detached payload (RFC 7515 appendix F): `BASE64URL(header) ".." BASE64URL(sig)`;
 * the signing input is `BASE64URL(header) "." BASE64URL(payload bytes)`. ECDSA signatures are raw R‖S.
 *
 * Rules enforced here (not left to defaults):
 * - `alg` ∈ ES256, ES384, RS256, PS256 — never `none`, never `HS*` — and it must fit the key
 *   (ES256: EC P-256, ES384: EC P-384, RS256/PS256: RSA of at least 2048 bits; a JWK `alg`, `use`
 *   or `key_ops` that says otherwise excludes the key);
 * - `kid` is required and selects the key from the trust store; keys carried in the header
 *   (`jwk`, `jku`, `x5c`, `x5u`) are never used (only public members of the trusted JWK are imported);
 * - `crit` or `b64: false` makes a signature invalid.
 */
import { constants, createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';
import type jose from 'node-jose';
import { SoupError } from '../lib/errors.js';

async function loadJose(): Promise<typeof jose> {
  return (await import('node-jose')).default;
}

export const ALLOWED_ALGS = ['ES256', 'ES384', 'RS256', 'PS256'] as const;
export type SigningAlg = (typeof ALLOWED_ALGS)[number];

export interface Jwks {
  keys: Record<string, unknown>[];
}

export interface JwsHeader {
  alg: SigningAlg;
  kid: string;
  [key: string]: unknown;
}

const MIN_RSA_BITS = 2048;
/** Members of a JWK that carry private or symmetric key material: never imported from a trust store. */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function signatureError(message: string, cause?: unknown): SoupError {
  return new SoupError('SOUP_E_SIGNATURE', message, { cause });
}

function isAllowedAlg(alg: unknown): alg is SigningAlg {
  return typeof alg === 'string' && (ALLOWED_ALGS as readonly string[]).includes(alg);
}

function rsaBits(jwk: Record<string, unknown>): number {
  return typeof jwk.n === 'string' ? Buffer.from(jwk.n, 'base64url').length * 8 : 0;
}

/** Why `jwk` cannot be used with `alg` (null: it can). */
export function keyMismatch(alg: SigningAlg, jwk: Record<string, unknown>): string | null {
  if (jwk.alg !== undefined && jwk.alg !== alg) return `key is for alg ${String(jwk.alg)}, not ${alg}`;
  if (jwk.use !== undefined && jwk.use !== 'sig') return `key use is ${String(jwk.use)}, not sig`;
  if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify') && !jwk.key_ops.includes('sign')) {
    return 'key_ops allow neither sign nor verify';
  }
  switch (alg) {
    case 'ES256':
    case 'ES384': {
      const crv = alg === 'ES256' ? 'P-256' : 'P-384';
      if (jwk.kty !== 'EC' || jwk.crv !== crv)
        return `${alg} needs an EC ${crv} key, not ${describeKey(jwk)}`;
      return null;
    }
    case 'RS256':
    case 'PS256':
      if (jwk.kty !== 'RSA') return `${alg} needs an RSA key, not ${describeKey(jwk)}`;
      if (rsaBits(jwk) < MIN_RSA_BITS)
        return `RSA key of ${rsaBits(jwk)} bits is shorter than ${MIN_RSA_BITS}`;
      return null;
    default: {
      const never: never = alg;
      return `alg ${String(never)} is not allowed`;
    }
  }
}

function describeKey(jwk: Record<string, unknown>): string {
  return jwk.kty === 'EC' ? `EC ${String(jwk.crv)}` : String(jwk.kty ?? 'a key without kty');
}

/** The alg a key signs with: its own `alg`, else the one its type implies. */
function algForKey(jwk: Record<string, unknown>): SigningAlg {
  if (jwk.alg !== undefined) {
    if (!isAllowedAlg(jwk.alg))
      throw signatureError(`key alg ${String(jwk.alg)} is not allowed (${ALLOWED_ALGS.join(', ')})`);
    return jwk.alg;
  }
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'EC' && jwk.crv === 'P-384') return 'ES384';
  if (jwk.kty === 'RSA') return 'RS256';
  throw signatureError(`no allowed alg for a ${describeKey(jwk)} key (${ALLOWED_ALGS.join(', ')})`);
}

/** A new key pair: the private JWK (with kid and alg) and a JWKS holding its public half. */
export async function generateSigningKey(
  kid: string,
  alg: SigningAlg = 'ES256',
): Promise<{ privateJwk: Record<string, unknown>; publicJwks: Jwks }> {
  if (kid === '') throw signatureError('kid must not be empty');
  if (!isAllowedAlg(alg))
    throw signatureError(`alg ${String(alg)} is not allowed (${ALLOWED_ALGS.join(', ')})`);
  const props = { kid, alg, use: 'sig' };
  const jose = await loadJose();
  const key =
    alg === 'ES256' || alg === 'ES384'
      ? await jose.JWK.createKey('EC', alg === 'ES256' ? 'P-256' : 'P-384', props)
      : await jose.JWK.createKey('RSA', 3072, props);
  return {
    privateJwk: key.toJSON(true) as Record<string, unknown>,
    publicJwks: { keys: [key.toJSON(false) as Record<string, unknown>] },
  };
}

async function importSigningKey(key: Record<string, unknown> | string): Promise<jose.JWK.Key> {
  const jose = await loadJose();
  try {
    return typeof key === 'string' ? await jose.JWK.asKey(key, 'pem') : await jose.JWK.asKey(key, 'json');
  } catch (err) {
    const what = typeof key === 'string' ? 'PEM key' : 'JWK';
    throw signatureError(`signing key is not a usable ${what}: ${(err as Error).message}`, err);
  }
}

/** Compact JWS with detached payload (`header..signature`); `key` is a private JWK object or a PEM string. */
export async function signDetached(
  payload: Uint8Array,
  key: Record<string, unknown> | string,
  kid?: string,
): Promise<string> {
  const jwk = await importSigningKey(key);
  const json = jwk.toJSON(true) as Record<string, unknown>;
  const alg = algForKey(json);
  if (json.d === undefined) throw signatureError('signing key is a public key: a private key is needed');
  const mismatch = keyMismatch(alg, json);
  if (mismatch) throw signatureError(`signing key does not fit: ${mismatch}`);
  // node-jose invents a thumbprint kid for keys without one: only the caller's or the JWK's own kid counts
  const ownKid = typeof key === 'object' && typeof key.kid === 'string' ? key.kid : undefined;
  const useKid = kid ?? ownKid;
  if (!useKid) throw signatureError('signing key has no kid: give one');
  const jose = await loadJose();
  const compact = (await jose.JWS.createSign({ format: 'compact', fields: { alg, kid: useKid } }, jwk)
    .update(Buffer.from(payload))
    .final()) as unknown as string;
  const [header, , signature] = compact.split('.');
  return `${header}..${signature}`;
}

/**
 * Checks the shape of a compact detached JWS and its protected header: three parts, empty payload,
 * allowed `alg`, a `kid`, no `crit`, no `b64: false`. Throws SoupError SOUP_E_SIGNATURE naming the fault.
 */
export function parseDetachedJws(compact: string): JwsHeader {
  if (typeof compact !== 'string') throw signatureError('signature is not a string');
  const parts = compact.split('.');
  if (parts.length !== 3)
    throw signatureError(`signature is not a compact JWS: ${parts.length} parts, expected 3`);
  const [encodedHeader, payload, signature] = parts as [string, string, string];
  if (payload !== '')
    throw signatureError('signature payload is not detached: the middle part must be empty');
  if (!BASE64URL.test(encodedHeader)) throw signatureError('signature header is not base64url');
  if (!BASE64URL.test(signature)) throw signatureError('signature value is missing or not base64url');
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(encodedHeader, 'base64url').toString('utf8'));
  } catch {
    throw signatureError('signature header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw signatureError('signature header is not a JSON object');
  }
  const h = header as Record<string, unknown>;
  if (h.alg === undefined) throw signatureError('signature header has no alg');
  if (!isAllowedAlg(h.alg))
    throw signatureError(`signature alg ${String(h.alg)} is not allowed (${ALLOWED_ALGS.join(', ')})`);
  if (typeof h.kid !== 'string' || h.kid === '') throw signatureError('signature header has no kid');
  if (h.crit !== undefined) throw signatureError('signature header has crit: not supported');
  if (h.b64 === false) throw signatureError('signature header has b64: false: not supported');
  return h as JwsHeader;
}

export type VerifyOutcome = { ok: true; kid: string; alg: SigningAlg } | { ok: false; reasons: string[] };

function publicMembers(jwk: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(jwk).filter(([k]) => !SECRET_MEMBERS.includes(k)));
}

/** Verifies one signature with one trusted JWK; the reason it fails, or null. */
async function verifyWith(
  payload: Uint8Array,
  compact: string,
  header: JwsHeader,
  trusted: Record<string, unknown>,
): Promise<string | null> {
  if (trusted.kty === 'oct') return 'trusted key is symmetric';
  const mismatch = keyMismatch(header.alg, trusted);
  if (mismatch) return mismatch;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: publicMembers(trusted) as JsonWebKey, format: 'jwk' });
  } catch (err) {
    return `trusted key is not a usable JWK: ${(err as Error).message}`;
  }
  const [encodedHeader, , signature] = compact.split('.');
  const input = Buffer.from(`${encodedHeader}.${Buffer.from(payload).toString('base64url')}`);
  try {
    return verify(
      HASH[header.alg],
      input,
      verifyKey(header.alg, key),
      Buffer.from(signature ?? '', 'base64url'),
    )
      ? null
      : 'does not verify';
  } catch {
    return 'does not verify';
  }
}

const HASH: Record<SigningAlg, string> = {
  ES256: 'sha256',
  ES384: 'sha384',
  RS256: 'sha256',
  PS256: 'sha256',
};

/** The key with the signature scheme of `alg` (RFC 7518 §3): ECDSA as raw R‖S, PSS with a 32-byte salt. */
function verifyKey(alg: SigningAlg, key: KeyObject) {
  switch (alg) {
    case 'ES256':
    case 'ES384':
      return { key, dsaEncoding: 'ieee-p1363' as const };
    case 'PS256':
      return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    case 'RS256':
      return { key, padding: constants.RSA_PKCS1_PADDING };
    default: {
      const never: never = alg;
      return never;
    }
  }
}

/** Tries each signature against the trust store (keys by kid); ok when at least one verifies. */
export async function verifyDetached(
  payload: Uint8Array,
  signatures: string[],
  trust: Jwks,
): Promise<VerifyOutcome> {
  if (signatures.length === 0) return { ok: false, reasons: ['no signatures'] };
  if (!Array.isArray(trust?.keys))
    return { ok: false, reasons: ['trust store is not a JWKS: no keys array'] };
  const reasons: string[] = [];
  for (const [i, compact] of signatures.entries()) {
    const label = `signature ${i + 1}`;
    let header: JwsHeader;
    try {
      header = parseDetachedJws(compact);
    } catch (err) {
      reasons.push(`${label}: ${(err as Error).message}`);
      continue;
    }
    const candidates = trust.keys.filter((k) => typeof k === 'object' && k !== null && k.kid === header.kid);
    if (candidates.length === 0) {
      reasons.push(`${label}: kid ${header.kid} is not in the trust store`);
      continue;
    }
    for (const trusted of candidates) {
      const failure = await verifyWith(payload, compact, header, trusted);
      if (failure === null) return { ok: true, kid: header.kid, alg: header.alg };
      reasons.push(`${label} (kid ${header.kid}, ${header.alg}): ${failure}`);
    }
  }
  return { ok: false, reasons };
}
