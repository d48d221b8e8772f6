/** Redaction of log lines and text: nested secret keys, URL credentials and queries, auth headers, private keys. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { redactLogLine } from '../../src/lib/log.js';
import { redactText, redactUrl, redactValue } from '../../src/lib/redact.js';

describe('redaction', () => {
  it('URLs of any scheme lose user info, query and fragment', () => {
    expect(redactUrl('mqtt://user:pw@broker.local:1883/x?y=1#z')).toBe('mqtt://broker.local:1883/x');
    expect(redactUrl('https://a:b@h/p/q?token=1')).toBe('https://h/p/q');
    expect(redactUrl('not a url')).toBe('<invalid url>');
  });

  it('text: URLs, auth schemes and PEM keys; one line', () => {
    const pem = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n-----END EC PRIVATE KEY-----';
    const out = redactText(`GET http://u:p@h/x?c=1 failed\nAuthorization: Bearer abc.def ${pem}`);
    expect(out).toBe('GET http://h/x failed Authorization: Bearer [redacted] [redacted private key]');
  });

  it('values: secret keys at any depth, strings everywhere', () => {
    const value = {
      server: { auth: { targetToken: 't1', oauth2: { clientSecret: 's1', tokenUrl: 'http://h/t?x=1' } } },
      list: [{ deeper: { password: 'p1', headers: { authorization: 'GatewayToken g1' } } }],
      note: 'TargetToken t2',
      count: 3,
      empty: null,
    };
    expect(redactValue(value)).toEqual({
      server: {
        auth: { targetToken: '[redacted]', oauth2: { clientSecret: '[redacted]', tokenUrl: 'http://h/t' } },
      },
      list: [{ deeper: { password: '[redacted]', headers: { authorization: '[redacted]' } } }],
      note: 'TargetToken [redacted]',
      count: 3,
      empty: null,
    });
  });

  it('a log line keeps its shape; a non-JSON line is redacted as text', () => {
    const line = `${JSON.stringify({ level: 30, msg: 'connected mqtt://a:b@h:1883', a: { b: { c: { token: 'x' } } } })}\n`;
    expect(JSON.parse(redactLogLine(line))).toEqual({
      level: 30,
      msg: 'connected mqtt://h:1883',
      a: { b: { c: { token: '[redacted]' } } },
    });
    expect(redactLogLine(line).endsWith('\n')).toBe(true);
    expect(redactLogLine('plain TargetToken zz\n')).toBe('plain TargetToken [redacted]\n');
  });

  it('createLogger (built) writes redacted lines: child bindings, nested objects, errors', () => {
    const script = `
      import { createLogger } from ${JSON.stringify(new URL('../../dist/src/lib/log.js', import.meta.url).pathname)};
      const log = createLogger({ level: 'info', fd: 1 }).child({ url: 'mqtt://me:pw-1@broker:1883' });
      log.info({ config: { server: { auth: { gatewayToken: 'gw-secret-1' } } } }, 'config');
      log.warn({ err: new Error('GET http://h/x?token=q-secret-1: HTTP 500') }, 'failed');
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    for (const secret of ['pw-1', 'gw-secret-1', 'q-secret-1']) expect(out).not.toContain(secret);
    expect(lines[0]?.url).toBe('mqtt://broker:1883');
    expect(out).toContain('GET http://h/x HTTP 500');
  });
});
