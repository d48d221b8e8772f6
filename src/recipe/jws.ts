/**
 * Detached JWS over the exact recipe file bytes (`install-api.md`, signatures), with node-jose.
 * Owner: recipe.
 */
import { notBuilt } from '../lib/errors.js';

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

/** A new key pair: the private JWK (with kid and alg) and a JWKS holding its public half. */
export async function generateSigningKey(
  _kid: string,
  _alg: SigningAlg = 'ES256',
): Promise<{ privateJwk: Record<string, unknown>; publicJwks: Jwks }> {
  return notBuilt('key generation');
}

/** Compact JWS with detached payload (`header..signature`); `key` is a private JWK object or a PEM string. */
export async function signDetached(
  _payload: Uint8Array,
  _key: Record<string, unknown> | string,
  _kid?: string,
): Promise<string> {
  return notBuilt('signing');
}

/**
 * Checks the shape of a compact detached JWS and its protected header: three parts, empty payload,
 * allowed `alg`, a `kid`, no `crit`, no `b64: false`. Throws SoupError SOUP_E_SIGNATURE naming the fault.
 */
export function parseDetachedJws(_compact: string): JwsHeader {
  return notBuilt('signature parsing');
}

export type VerifyOutcome = { ok: true; kid: string; alg: SigningAlg } | { ok: false; reasons: string[] };

/** Tries each signature against the trust store (keys by kid); ok when at least one verifies. */
export async function verifyDetached(
  _payload: Uint8Array,
  _signatures: string[],
  _trust: Jwks,
): Promise<VerifyOutcome> {
  return notBuilt('signature verification');
}
