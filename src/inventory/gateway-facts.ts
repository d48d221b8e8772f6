/** Facts about the gateway itself for its module in the system report: `os`, `arch` (systeminformation). */
import si from 'systeminformation';

export interface GatewayFacts {
  os: string;
  arch: string;
}

/** Reads the facts once per process (they do not change while the agent runs). */
export function createGatewayFacts(): () => Promise<GatewayFacts> {
  let cached: Promise<GatewayFacts> | undefined;
  return () => {
    cached ??= si.osInfo().then(
      (info) => ({
        os: [info.distro, info.release].filter((s) => s !== '' && s !== 'unknown').join(' ') || info.platform,
        arch: info.arch || process.arch,
      }),
      () => ({ os: process.platform, arch: process.arch }),
    );
    return cached;
  };
}
