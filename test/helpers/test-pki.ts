/**
 * A throw-away PKI for TLS tests, made with the `openssl` command line (Debian package openssl): a CA
 * (`ca.key`, `ca.crt`) and, per entry, `<name>.key` / `<name>.crt` signed by it, EC P-256, valid two days.
 * `server` certificates are for 127.0.0.1; `client` certificates carry clientAuth.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertRequest {
  name: string;
  cn: string;
  usage: 'server' | 'client';
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makeTestPki(dir: string, certs: CertRequest[]): void {
  const openssl = (...args: string[]) => {
    try {
      execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    } catch (err) {
      throw new Error(
        `openssl ${args[0]} failed (these tests need Debian's openssl): ${(err as Error).message}`,
      );
    }
  };
  openssl(
    'req',
    '-x509',
    ...EC,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=soup test CA',
  );
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const { name, cn, usage } of certs) {
    openssl('req', '-new', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    const ca = ['-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2'];
    openssl('x509', '-req', '-in', `${name}.csr`, ...ca, '-out', `${name}.crt`, '-extfile', `${usage}.ext`);
  }
}
