/** server-lite configuration: defaults, checks naming the key path, the generated admin. */
import { describe, expect, it } from 'vitest';
import { checkConfig, DEFAULT_CONFIG, withGeneratedAdmin } from '../../src/server-lite/config.js';

describe('server-lite configuration', () => {
  it('defaults as in management-api.md', () => {
    const c = checkConfig({});
    expect(c).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      publicUrl: null,
      tenant: 'DEFAULT',
      gatewayToken: null,
      autoRegister: false,
      anonymous: false,
      rateLimit: { getPerMinute: 1000, writePerMinute: 100 },
      signers: null,
      tls: null,
      pollingSleep: '00:00:30',
    });
    expect(c.dataDir).toBe(DEFAULT_CONFIG.dataDir);
  });

  it.each([
    [{ port: 70000 }, 'port: must be an integer from 0 to 65535'],
    [{ portt: 1 }, 'portt: unknown key'],
    [{ users: [{ name: 'a', password: 'b', roles: ['GOD'] }] }, 'users[0].roles[0]: must be one of'],
    [{ users: [{ name: 'a', roles: ['READ'] }] }, 'users[0].password: must be a string'],
    [{ clients: [{ clientId: 'c' }] }, 'clients[0].clientSecret: must be a string'],
    [{ pollingSleep: '30s' }, 'pollingSleep: must be HH:MM:SS or an ISO-8601 duration'],
    [{ tls: { cert: 'c' } }, 'tls.key: must be a string'],
    [{ rateLimit: { getPerMinute: 0 } }, 'rateLimit.getPerMinute: must be an integer'],
  ])('%j → %s', (input, message) => {
    expect(() => checkConfig(input as Record<string, unknown>)).toThrow(message);
  });

  it('accepts ISO-8601 polling sleep from one day up and strips a trailing slash of publicUrl', () => {
    expect(checkConfig({ pollingSleep: 'P1DT2H' }).pollingSleep).toBe('P1DT2H');
    expect(checkConfig({ publicUrl: 'https://soup.example.com/' }).publicUrl).toBe(
      'https://soup.example.com',
    );
  });

  it('generates an admin only when no user is configured', () => {
    const none = withGeneratedAdmin(checkConfig({}));
    expect(none.generated).toMatchObject({ name: 'admin', roles: ['ADMIN'] });
    expect(none.generated?.password.length).toBeGreaterThanOrEqual(16);
    expect(none.config.users).toEqual([none.generated]);
    const some = withGeneratedAdmin(checkConfig({ users: [{ name: 'u', password: 'p', roles: ['READ'] }] }));
    expect(some.generated).toBeNull();
  });
});
