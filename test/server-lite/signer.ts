/** A real ES256 key pair and detached compact JWS (RFC 7515 appendix F) made with node:crypto, for tests. */
import { generateKeyPairSync, sign } from 'node:crypto';

export interface TestSigner {
  kid: string;
  publicJwks: { keys: Record<string, unknown>[] };
  sign(payload: Buffer): string;
}

const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export function testSigner(kid: string): TestSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  return {
    kid,
    publicJwks: { keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] },
    sign(payload) {
      const header = b64u(JSON.stringify({ alg: 'ES256', kid }));
      const sig = sign('sha256', Buffer.from(`${header}.${b64u(payload)}`), {
        key: privateKey,
        dsaEncoding: 'ieee-p1363',
      });
      return `${header}..${b64u(sig)}`;
    },
  };
}
