/**
 * The local control socket (`docs/cli.md`, "Local API"): a Unix socket `<dataDir>/agent.sock` through
 * which the command line reaches the running daemon. One JSON request line, one JSON answer line.
 *
 *   {"command":"ping"}                               → {"ok":true,"pid":4242}
 *   {"command":"check"}                              → {"ok":true}            (poll now)
 *   {"command":"consent","decision":"accept","actionId":"17","by":"cli"} → {"ok":true} | {"ok":false,"error":"…"}
 *   {"command":"report"}                             → {"ok":true,"report":{…}}
 *   {"command":"install","bundle":"/path/file.tar","allowDowngrade":false} → {"ok":true,"actionId":"17"} (install started)
 */
import { chmodSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { SoupError } from '../lib/errors.js';

export const SOCKET_FILE = 'agent.sock';

export function socketPath(dataDir: string): string {
  return join(dataDir, SOCKET_FILE);
}

export type ControlRequest =
  | { command: 'ping' }
  | { command: 'check' }
  | { command: 'consent'; decision: 'accept' | 'deny'; actionId?: string; by: string }
  | { command: 'report' }
  | { command: 'install'; bundle: string; allowDowngrade?: boolean };

export type ControlAnswer = { ok: true; [key: string]: unknown } | { ok: false; error: string };

export type ControlHandler = (request: ControlRequest) => Promise<ControlAnswer>;

function parseRequest(line: string): ControlRequest | undefined {
  try {
    const value = JSON.parse(line) as { command?: unknown };
    switch (value.command) {
      case 'ping':
      case 'check':
      case 'report':
        return { command: value.command };
      case 'install': {
        const { bundle: b, allowDowngrade } = value as { bundle?: unknown; allowDowngrade?: unknown };
        if (typeof b !== 'string' || b === '') return undefined;
        return {
          command: 'install',
          bundle: b,
          ...(allowDowngrade === true ? { allowDowngrade: true } : {}),
        };
      }
      case 'consent': {
        const v = value as { decision?: unknown; actionId?: unknown; by?: unknown };
        if (v.decision !== 'accept' && v.decision !== 'deny') return undefined;
        return {
          command: 'consent',
          decision: v.decision,
          by: typeof v.by === 'string' ? v.by : 'local user',
          ...(typeof v.actionId === 'string' ? { actionId: v.actionId } : {}),
        };
      }
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/** Listens on the socket (a stale socket file of a dead daemon is replaced). */
export async function serveControl(dataDir: string, handler: ControlHandler): Promise<Server> {
  const path = socketPath(dataDir);
  try {
    unlinkSync(path);
  } catch {
    // none there
  }
  const server = createServer((socket: Socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl < 0) {
        if (buffer.length > 65536) socket.destroy();
        return;
      }
      const request = parseRequest(buffer.slice(0, nl));
      buffer = '';
      const answer =
        request === undefined
          ? Promise.resolve<ControlAnswer>({ ok: false, error: 'unknown request' })
          : handler(request);
      answer
        .catch(
          (err: unknown): ControlAnswer => ({
            ok: false,
            error: err instanceof Error ? err.message : String(err),
          }),
        )
        .then((a) => socket.end(`${JSON.stringify(a)}\n`));
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // connecting needs write permission: the owner and its group (installers), never others
  chmodSync(path, SOCKET_MODE);
  return server;
}

/** Owner and group may connect (`docs/install.md`, "Who may run status, check and consent"). */
export const SOCKET_MODE = 0o660;

/**
 * Why the socket could not be reached: nothing listens (SOUP_E_NO_DAEMON), or this user may not connect
 * (SOUP_E_DAEMON_ACCESS) — then whether a daemon runs is unknown, and callers must not act as if none did.
 */
function unreachable(path: string, err: NodeJS.ErrnoException): SoupError {
  const code = err.code ?? err.message;
  if (code === 'EACCES' || code === 'EPERM') {
    return new SoupError(
      'SOUP_E_DAEMON_ACCESS',
      `cannot reach the daemon: permission denied on ${path} (${code}); run as root or as a member of the group that owns it`,
    );
  }
  return new SoupError('SOUP_E_NO_DAEMON', `no daemon is running (${code})`);
}

/**
 * Sends one request to the daemon; throws SOUP_E_NO_DAEMON when none listens, SOUP_E_DAEMON_ACCESS when
 * this user may not connect, SOUP_E_DAEMON_SILENT when a listener gives no answer in time.
 */
export function askDaemon(
  dataDir: string,
  request: ControlRequest,
  timeoutMs = 30_000,
): Promise<ControlAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath(dataDir));
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new SoupError(
          'SOUP_E_DAEMON_SILENT',
          `the daemon did not answer on ${socketPath(dataDir)} within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
    });
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buffer) as ControlAnswer);
      } catch {
        reject(new SoupError('SOUP_E_DAEMON_SILENT', `the daemon gave no answer on ${socketPath(dataDir)}`));
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(unreachable(socketPath(dataDir), err));
    });
  });
}
