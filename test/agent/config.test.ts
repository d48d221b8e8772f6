import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildConfig, configPath, loadConfig } from '../../src/agent/config.js';
import { isSoupError } from '../../src/lib/errors.js';

function minimal(): Record<string, unknown> {
  return {
    server: {
      url: 'http://127.0.0.1:8080',
      tenant: 'DEFAULT',
      controllerId: 'gw-0001',
      auth: { targetToken: 't' },
    },
    dataDir: '/var/lib/soup-agent',
    trust: { keys: '/etc/soup-agent/trusted.jwks.json' },
    modules: {
      local: [
        {
          name: 'gateway',
          gateway: true,
          handler: 'rawfile',
          target: '/tmp/slot-b.img',
          attributes: { 'module-id': 'gw' },
        },
      ],
    },
  };
}

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(isSoupError(err, 'SOUP_E_CONFIG')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('no error');
}

describe('agent configuration', () => {
  it('fills defaults with units from the schema', () => {
    const c = buildConfig(minimal());
    expect(c.consent).toBe('whenAsked');
    expect(c.polling.defaultSleepMs).toBe(300000);
    expect(c.update.stepAttempts).toBe(3);
    expect(c.server.requestTimeoutMs).toBe(30000);
    expect(c.ddi.parts).toEqual({});
  });

  it('the agent.md example configuration is valid', () => {
    const c = buildConfig({
      server: {
        url: 'http://127.0.0.1:8080',
        tenant: 'DEFAULT',
        controllerId: 'gw-0001',
        auth: { targetToken: '…' },
      },
      dataDir: '/var/lib/soup-agent',
      trust: { keys: '/etc/soup-agent/trusted.jwks.json' },
      modules: {
        serial: [
          {
            name: 'display',
            path: '/dev/ttyUSB0',
            baudRate: 115200,
            protocol: 'smp',
            attributes: { 'module-id': '5000' },
          },
        ],
        can: [
          {
            bus: 'can0',
            bitrate: 500000,
            ecus: [
              {
                name: 'brake',
                txId: '0x7e0',
                rxId: '0x7e8',
                extendedIds: false,
                fd: false,
                attributes: { 'module-id': '4711' },
                dids: { F187: 'partNumber', F18C: 'serialNumber', F189: 'swVersion', F193: 'hwVersion' },
                security: { level: 1, key: 'xor:0xA5A5A5A5' },
                memory: { address: '0x08000000', addressLength: 4, sizeLength: 4 },
                routines: { erase: '0xFF00', check: '0xFF01' },
              },
            ],
          },
        ],
        local: [
          {
            name: 'gateway',
            gateway: true,
            type: 'gateway',
            attributes: { 'module-id': 'gw' },
            handler: 'rawfile',
            target: '/var/lib/soup-agent/slot-b.img',
          },
        ],
      },
      ddi: { parts: { os: { module: 'gateway' } } },
      consent: 'whenAsked',
      mqtt: { url: 'mqtt://127.0.0.1:1883', topicPrefix: 'soup' },
    });
    expect(c.modules.can?.[0]?.ecus[0]?.name).toBe('brake');
  });

  it('every error names the key path', () => {
    const noUrl = minimal();
    delete (noUrl.server as Record<string, unknown>).url;
    expect(message(() => buildConfig(noUrl))).toBe('config: server.url is missing');

    const badBaud = minimal();
    (badBaud.modules as Record<string, unknown>).serial = [{ path: '/dev/x', baudRate: 12, protocol: 'smp' }];
    expect(message(() => buildConfig(badBaud))).toBe('config: modules.serial[0].baudRate must be >= 1200');

    const unknown = minimal();
    unknown.polling = { sleepy: 1 };
    expect(message(() => buildConfig(unknown))).toBe('config: polling.sleepy is not a known key');

    const consent = minimal();
    consent.consent = 'sometimes';
    expect(message(() => buildConfig(consent))).toBe(
      'config: consent must be one of always, whenAsked, never',
    );

    const noTarget = minimal();
    (noTarget.modules as { local: Record<string, unknown>[] }).local[0]!.target = undefined;
    expect(message(() => buildConfig(JSON.parse(JSON.stringify(noTarget))))).toBe(
      'config: modules.local[0].target is missing (handler rawfile)',
    );

    const part = minimal();
    part.ddi = { parts: { os: { module: 'nope' } } };
    expect(message(() => buildConfig(part))).toBe(
      'config: ddi.parts.os.module names no configured module "nope"',
    );

    const twoAuth = minimal();
    (twoAuth.server as Record<string, unknown>).auth = { targetToken: 'a', gatewayToken: 'b' };
    expect(message(() => buildConfig(twoAuth))).toMatch(/^config: server\.auth must be exactly one of/);
  });

  it('defaults → file → environment → flags', () => {
    const c = buildConfig(
      minimal(),
      { SOUP_AGENT_CONTROLLER_ID: 'gw-env', SOUP_AGENT_DATA_DIR: '/env' },
      { dataDir: '/flag' },
    );
    expect(c.server.controllerId).toBe('gw-env');
    expect(c.dataDir).toBe('/flag');
  });

  it('the file: -c beats SOUP_AGENT_CONFIG beats the default; unreadable or broken files are one line', () => {
    expect(configPath('/a', { SOUP_AGENT_CONFIG: '/b' })).toBe('/a');
    expect(configPath(undefined, { SOUP_AGENT_CONFIG: '/b' })).toBe('/b');
    expect(configPath(undefined, {})).toBe('/etc/soup-agent/config.json');
    const dir = mkdtempSync(join(tmpdir(), 'soup-config-'));
    expect(message(() => loadConfig(join(dir, 'none.json'), {}))).toMatch(
      /^config: cannot read .*none\.json \(ENOENT\)$/,
    );
    writeFileSync(join(dir, 'bad.json'), '{"server": ');
    expect(message(() => loadConfig(join(dir, 'bad.json'), {}))).toMatch(
      /^config: .*bad\.json is not valid JSON/,
    );
  });
});
