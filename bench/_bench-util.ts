/** Shared helpers of the download benchmarks: artifact files, the server process, timing. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/** Writes `size` bytes (a random 4 MiB block, each copy stamped with its index) and returns the SHA-256. */
export async function makeArtifact(path: string, size: number): Promise<string> {
  const block = randomBytes(4 * 1024 * 1024);
  const hash = createHash('sha256');
  const fh = await open(path, 'w');
  try {
    for (let offset = 0, i = 0; offset < size; offset += block.length, i++) {
      block.writeUInt32BE(i, 0);
      const chunk = block.subarray(0, Math.min(block.length, size - offset));
      hash.update(chunk);
      await fh.write(chunk, 0, chunk.length, offset);
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

export interface ServerProcess {
  port: number;
  stop(): Promise<void>;
}

/** Starts a helper script of this folder in its own process; resolves with the JSON of its first line. */
async function startHelper<T>(script: string, args: string[]): Promise<{ first: T; child: ChildProcess }> {
  const child: ChildProcess = spawn(process.execPath, [new URL(script, import.meta.url).pathname, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<T>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    lines.once('line', (line) => resolve(JSON.parse(line) as T));
  });
  return { first, child };
}

/** Starts `_static-server.js` in its own process serving `files` as `/0`, `/1`, … */
export async function startServerProcess(files: string[]): Promise<ServerProcess> {
  const { first, child } = await startHelper<{ port: number }>('./_static-server.js', files);
  return {
    port: first.port,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/**
 * The node options the systemd unit starts the agent with (`Environment=NODE_OPTIONS=…` in
 * `systemd/soup-agent.service`): the benchmarks measure the agent as deployed. SOUP_BENCH_NODE_OPTIONS
 * replaces them, to measure what an option brings.
 */
export function agentNodeOptions(): string {
  const override = process.env.SOUP_BENCH_NODE_OPTIONS;
  if (override !== undefined) return override;
  const unit = readFileSync(new URL('../../systemd/soup-agent.service', import.meta.url), 'utf8');
  return /^Environment="?NODE_OPTIONS=([^"\n]*)"?$/m.exec(unit)?.[1]?.trim() ?? '';
}
