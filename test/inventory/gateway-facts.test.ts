/**
 * The gateway's `os` fact from the release files, as systeminformation's osInfo() derived it before
 * (`src/inventory/gateway-facts.ts`): the same string in the system report.
 */
import si from 'systeminformation';
import { describe, expect, it } from 'vitest';
import { createGatewayFacts, osName } from '../../src/inventory/gateway-facts.js';

describe('gateway facts', () => {
  it.each([
    [
      'Debian',
      {
        PRETTY_NAME: '"Debian GNU/Linux 12 (bookworm)"',
        NAME: '"Debian GNU/Linux"',
        VERSION: '"12 (bookworm)"',
      },
      'Debian GNU/Linux 12',
    ],
    [
      'Ubuntu',
      { PRETTY_NAME: '"Ubuntu 22.04.3 LTS"', NAME: '"Ubuntu"', VERSION: '"22.04.3 LTS (Jammy Jellyfish)"' },
      'Ubuntu 22.04.3 LTS',
    ],
    [
      'Yocto',
      {
        NAME: '"Poky (Yocto Project Reference Distro)"',
        VERSION: '"4.0.4 (kirkstone)"',
        VERSION_ID: '4.0.4',
      },
      'Poky (Yocto Project Reference Distro) 4.0.4',
    ],
    ['lsb-release first', { DISTRIB_ID: 'Raspbian', DISTRIB_RELEASE: '11', NAME: '"Debian"' }, 'Raspbian 11'],
    ['no release files', {}, ''],
  ])('%s', (_name, fields, os) => {
    expect(osName(fields)).toBe(os);
  });

  it('on this machine: what systeminformation reports, and node’s arch', async () => {
    const info = await si.osInfo();
    const want =
      [info.distro, info.release].filter((s) => s !== '' && s !== 'unknown').join(' ') || info.platform;
    expect(await createGatewayFacts()()).toEqual({ os: want, arch: info.arch });
  });
});
