/**
 * Facts about the gateway itself for its module in the system report: `os` and `arch`.
 *
 * `os` is the distribution and release from the release files (`/etc/*-release`, `/usr/lib/os-release`,
 * `/etc/openwrt_release`, later keys winning), read as systeminformation's `osInfo()` reads them, so reports
 * are unchanged: "Debian GNU/Linux 12" from `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"`. Read here rather
 * than through systeminformation, which costs the agent about 8 MiB of resident memory for these two lines
 * and runs shell commands for facts the report does not use (docs/footprint.md).
 */
import { readdir, readFile } from 'node:fs/promises';
import { arch, platform } from 'node:os';

export interface GatewayFacts {
  os: string;
  arch: string;
}

async function releaseFields(): Promise<Record<string, string>> {
  const etc = (await readdir('/etc').catch(() => [] as string[]))
    .filter((f) => f.endsWith('-release'))
    .sort()
    .map((f) => `/etc/${f}`);
  const fields: Record<string, string> = {};
  for (const path of [...etc, '/usr/lib/os-release', '/etc/openwrt_release']) {
    const text = await readFile(path, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const [key, value] = line.split('=');
      if (value !== undefined && key !== undefined) fields[key.trim().toUpperCase()] = value.trim();
    }
  }
  return fields;
}

/** "distro release" as systeminformation's osInfo() derives them; "" when the files name neither. */
export function osName(fields: Record<string, string>): string {
  const unquote = (s: string | undefined) => (s ?? '').replace(/"/g, '');
  const distro = unquote(fields.DISTRIB_ID || fields.NAME) || 'unknown';
  let version = unquote(fields.VERSION);
  const pretty = unquote(fields.PRETTY_NAME);
  if (pretty.startsWith(`${distro} `)) version = pretty.replace(`${distro} `, '').trim();
  if (version.includes('(')) version = (version.split('(')[0] ?? '').trim();
  const release = unquote(version || fields.DISTRIB_RELEASE || fields.VERSION_ID) || 'unknown';
  return [distro, release].filter((s) => s !== '' && s !== 'unknown').join(' ');
}

/** Reads the facts once per process (they do not change while the agent runs). */
export function createGatewayFacts(): () => Promise<GatewayFacts> {
  let cached: Promise<GatewayFacts> | undefined;
  return () => {
    cached ??= releaseFields().then(
      (fields) => ({ os: osName(fields) || platform(), arch: arch() }),
      () => ({ os: platform(), arch: arch() }),
    );
    return cached;
  };
}
