/**
 * A pseudo-terminal pair from socat: `linkPath` (what the agent opens) and a private peer for the
 * simulator. socat copies bytes between them as fast as they come: a pty has no baud rate and no
 * backpressure, so simulators pace their own output to the configured wire speed.
 *
 *   socat -d -d pty,raw,echo=0,link=<linkPath> pty,raw,echo=0,link=<linkPath>.sim
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { lstat, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SoupError } from '../lib/errors.js';

export interface PtyPair {
  /** The symlink the agent (or a test) opens. */
  linkPath: string;
  /** The simulator's side. */
  peerPath: string;
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 5_000;

export async function createPtyPair(linkPath: string): Promise<PtyPair> {
  await mkdir(dirname(linkPath), { recursive: true });
  const peerPath = `${linkPath}.sim`;
  const child = spawn(
    'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${linkPath}`, `pty,raw,echo=0,link=${peerPath}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  await waitForTransferLoop(child, linkPath);
  await Promise.all([lstat(linkPath), lstat(peerPath)]);
  return {
    linkPath,
    peerPath,
    close: () => stop(child),
  };
}

function waitForTransferLoop(child: ChildProcess, linkPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new SoupError('SOUP_E_IO', `socat did not create the pty ${linkPath} within ${READY_TIMEOUT_MS} ms`),
      );
    }, READY_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(
        new SoupError(
          'SOUP_E_IO',
          `cannot start socat for ${linkPath}: ${err.message} (install Debian socat)`,
        ),
      );
    });
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(
        new SoupError('SOUP_E_IO', `socat exited (${code}) before ${linkPath} was ready: ${stderr.trim()}`),
      );
    };
    child.once('exit', onExit);
    child.stderr?.setEncoding('utf8');
    const onStderr = (text: string) => {
      stderr += text;
      if (!stderr.includes('starting data transfer loop')) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      // keep draining socat's log so it never blocks on a full pipe, but stop inspecting it
      child.stderr?.off('data', onStderr);
      child.stderr?.resume();
      resolve();
    };
    child.stderr?.on('data', onStderr);
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
