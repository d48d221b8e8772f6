/**
 * What `soup-agent run` checks before it reports or polls: faults that would only surface when the first
 * release fails (an unreadable or empty trust store, a state directory it cannot write, a device path
 * that cannot name a device) stop the start with one line and exit 2, and the backend never sees a
 * gateway that cannot install anything.
 *
 * Each check returns the one line that says what is wrong and where, or null. Device paths are checked
 * for their form only: a module that is absent or does not answer is reported `unreachable`, not fatal.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { AgentConfig } from './config.js';

/** A trust store is a small JWKS; anything larger is not one. */
export const TRUST_STORE_MAX_BYTES = 1024 * 1024;

/** Linux interface names are at most 15 bytes (IFNAMSIZ − 1). */
const IFNAME_MAX = 15;

function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/** The trust store exists, is readable, is a JWKS and holds at least one key a signature can name. */
export function checkTrustStore(path: string): string | null {
  const where = `trust.keys: ${path}`;
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > TRUST_STORE_MAX_BYTES)
      return `${where} is ${size} bytes, more than a trust store (${TRUST_STORE_MAX_BYTES}) can be`;
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return `${where} cannot be read (${errnoOf(err)})`;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `${where} is not valid JSON (${(err as Error).message})`;
  }
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) return `${where} is not a JWKS (no "keys" array)`;
  const usable = keys.filter(
    (k) => typeof k === 'object' && k !== null && typeof (k as { kid?: unknown }).kid === 'string',
  );
  if (usable.length === 0) return `${where} holds no key with a kid: no recipe signature could verify`;
  return null;
}

/** The state directory exists (or can be made) and a file can be created, written and removed in it. */
export function checkDataDir(dataDir: string): string | null {
  const where = `dataDir: ${dataDir}`;
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    return `${where} cannot be created (${errnoOf(err)})`;
  }
  const probe = join(dataDir, `.preflight-${randomBytes(6).toString('hex')}`);
  let fd: number | undefined;
  try {
    fd = openSync(probe, 'wx', 0o600);
    writeSync(fd, 'soup-agent');
  } catch (err) {
    return `${where} is not writable (${errnoOf(err)})`;
  } finally {
    if (fd !== undefined) {
      closeSync(fd);
      try {
        unlinkSync(probe);
      } catch {
        // removed by someone else: nothing to clean up
      }
    }
  }
  return null;
}

/** Why `path` cannot name a device node (null: its form is fine). */
export function malformedDevicePath(path: string): string | null {
  if (!isAbsolute(path)) return 'is not an absolute path';
  if ([...path].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    return 'holds a control character';
  if (path.endsWith('/')) return 'ends with "/" (a directory, not a device)';
  const segments = path.split('/').slice(1);
  if (segments.some((s) => s === '')) return 'has an empty segment ("//")';
  if (segments.some((s) => s === '.' || s === '..')) return 'has a "." or ".." segment';
  return null;
}

/** Every configured device path: serial ports, SLCAN adapters, SocketCAN interfaces, `raw` targets. */
export function checkDevicePaths(config: AgentConfig): string | null {
  const checks: [string, string][] = [];
  (config.modules.serial ?? []).forEach((m, i) => {
    checks.push([`modules.serial[${i}].path`, m.path]);
  });
  for (const [i, bus] of (config.modules.can ?? []).entries()) {
    const where = `modules.can[${i}].bus`;
    if (bus.bus.startsWith('slcan:')) {
      checks.push([where, bus.bus.slice('slcan:'.length)]);
    } else if (Buffer.byteLength(bus.bus) > IFNAME_MAX) {
      return `${where}: "${bus.bus}" is longer than a network interface name can be (${IFNAME_MAX} bytes)`;
    }
  }
  (config.modules.local ?? []).forEach((m, i) => {
    if (m.handler === 'raw' && m.target !== undefined) checks.push([`modules.local[${i}].target`, m.target]);
  });
  for (const [where, path] of checks) {
    const why = malformedDevicePath(path);
    if (why !== null) return `${where}: ${JSON.stringify(path)} ${why}`;
  }
  return null;
}

/** The first fault that stops the start, as one line, or null when the agent may start. */
export function preflight(config: AgentConfig): string | null {
  return checkDevicePaths(config) ?? checkTrustStore(config.trust.keys) ?? checkDataDir(config.dataDir);
}
