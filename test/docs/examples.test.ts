/** The shipped examples are valid: what an installer copies must start, not fail on its first key. */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/agent/config.js';
import { xorKey } from '../../src/protocols/uds/security.js';
import { checkConfig, readConfigFile } from '../../src/server-lite/config.js';

const examples = new URL('../../examples/', import.meta.url).pathname;

describe('examples/', () => {
  it('config.json and config-local.json are valid agent configurations', () => {
    const full = loadConfig(join(examples, 'config.json'), {});
    expect(full.modules.serial?.[0]?.path).toBe('/dev/ttyUSB0');
    expect(full.modules.can?.[0]?.bus).toBe('can0');
    expect(full.dataDir).toBe('/var/lib/soup-agent');
    const local = loadConfig(join(examples, 'config-local.json'), {});
    expect(local.modules.local?.map((m) => m.name)).toEqual(['gateway']);
  });

  it('server-lite.json is a valid server-lite configuration, TLS keys read as systemd credentials', () => {
    const config = checkConfig(readConfigFile(join(examples, 'server-lite.json')));
    expect(config.host).toBe('0.0.0.0');
    expect(config.tls?.key).toBe('/run/credentials/soup-server-lite.service/server.key');
    expect(config.users.map((u) => u.roles)).toEqual([['ADMIN'], ['SYSTEM_RESPONSIBLE']]);
  });

  it('brake-key.mjs computes the key the simulated ECU expects (xor:0xA5A5A5A5)', async () => {
    const module = (await import(pathToFileURL(join(examples, 'brake-key.mjs')).href)) as {
      key: (seed: Uint8Array, level: number) => Uint8Array;
    };
    const seed = Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0x9a]);
    expect([...module.key(seed, 1)]).toEqual([...(await xorKey('0xA5A5A5A5')(seed, 1))]);
    expect(() => module.key(seed, 3)).toThrow('no key for security level 3');
  });
});
