import { describe, expect, it } from 'vitest';
import { createAuth } from '../../../src/agent/net/auth.js';
import { caught } from './helpers.js';

describe('createAuth: static credentials', () => {
  it('TargetToken and GatewayToken headers; a 401 does not ask for a retry', async () => {
    const target = createAuth({ targetToken: 'abc' });
    expect(await target.headers()).toEqual({ authorization: 'TargetToken abc' });
    expect(await target.unauthorized()).toBe(false);
    expect(target.transport).toBeUndefined();
    const gateway = createAuth({ gatewayToken: 'xyz' });
    expect(await gateway.headers()).toEqual({ authorization: 'GatewayToken xyz' });
    expect(await gateway.unauthorized()).toBe(false);
  });

  it('unreadable TLS files fail in one line naming the key', async () => {
    const err = await caught(
      Promise.resolve().then(() => createAuth({ cert: '/nonexistent/c.pem', key: '/nonexistent/k.pem' })),
    );
    expect((err as { code?: string }).code).toBe('SOUP_E_CONFIG');
    expect(err.message).toBe('server.auth.cert: cannot read /nonexistent/c.pem (ENOENT)');
  });

  it('cert without key is refused', async () => {
    const err = await caught(Promise.resolve().then(() => createAuth({ targetToken: 't', cert: '/x.pem' })));
    expect(err.message).toContain('cert and key go together');
  });
});
