import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RAWFILE_SUFFIX } from '../../src/handlers/rawfile.js';
import { configuredHandler, createHandlerRegistry } from '../../src/handlers/registry.js';
import { runScript, SCRIPT_PATH, type ScriptVariables, scriptArgs } from '../../src/handlers/scripts.js';
import type { HandlerContext, HandlerJob } from '../../src/handlers/types.js';
import { systemClock } from '../../src/lib/clock.js';
import { isSoupError, notBuilt } from '../../src/lib/errors.js';
import { silentLogger } from '../../src/lib/log.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'soup-handlers-'));
}

function image(dir: string, bytes: Buffer) {
  const path = join(dir, 'image.bin');
  writeFileSync(path, bytes);
  return {
    path,
    filename: 'image.bin',
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

function job(dir: string, bytes: Buffer, handler: string, target: string): HandlerJob {
  const img = image(dir, bytes);
  return {
    actionId: '1',
    module: {
      id: 'gw',
      name: 'gateway',
      attributes: {},
      config: { kind: 'local', entry: { name: 'gateway', handler, target } },
    },
    image: img,
    version: '2.0.0',
    artifacts: [img],
  };
}

function ctx(dir: string): HandlerContext & { seen: number[] } {
  const seen: number[] = [];
  let saved: unknown;
  return {
    seen,
    log: silentLogger(),
    signal: new AbortController().signal,
    clock: systemClock,
    links: { serial: () => notBuilt('links'), can: () => notBuilt('links') },
    dataDir: dir,
    checkpoint: { load: <T>() => saved as T, save: (v) => (saved = v) },
    progress: (cnt) => seen.push(cnt),
  };
}

describe('rawfile handler', () => {
  const registry = createHandlerRegistry();

  it('writes beside the target, renames only at commit, hash re-read', async () => {
    const dir = tmp();
    const target = join(dir, 'slot.img');
    writeFileSync(target, 'old contents');
    const bytes = randomBytes(200_000);
    const j = job(dir, bytes, 'rawfile', target);
    const c = ctx(dir);
    const h = registry.get('rawfile');
    expect(h.revertible(j)).toBe(true);
    await h.prepare(j, c);
    await h.transfer(j, c);
    expect(readFileSync(target, 'utf8')).toBe('old contents');
    expect(readFileSync(target + RAWFILE_SUFFIX).equals(bytes)).toBe(true);
    expect(c.seen.at(-1)).toBe(bytes.length);
    await h.activate(j, c);
    await h.verify(j, c);
    await h.commit(j, c);
    expect(readFileSync(target).equals(bytes)).toBe(true);
    expect(existsSync(target + RAWFILE_SUFFIX)).toBe(false);
    // repeated after a crash at commit: idempotent
    await h.commit(j, c);
    await h.verify(j, c);
  });

  it('revert leaves the old file untouched', async () => {
    const dir = tmp();
    const target = join(dir, 'slot.img');
    writeFileSync(target, 'old contents');
    const j = job(dir, randomBytes(1000), 'rawfile', target);
    const h = registry.get('rawfile');
    await h.transfer(j, ctx(dir));
    await h.revert(j, ctx(dir));
    expect(readFileSync(target, 'utf8')).toBe('old contents');
    expect(existsSync(target + RAWFILE_SUFFIX)).toBe(false);
  });

  it('verify fails when the written bytes differ (SOUP_E_HASH)', async () => {
    const dir = tmp();
    const target = join(dir, 'slot.img');
    const j = job(dir, randomBytes(1000), 'rawfile', target);
    const h = registry.get('rawfile');
    await h.transfer(j, ctx(dir));
    writeFileSync(target + RAWFILE_SUFFIX, 'tampered');
    await expect(h.verify(j, ctx(dir))).rejects.toSatisfy((e) => isSoupError(e, 'SOUP_E_HASH'));
  });
});

describe('raw handler', () => {
  it('writes in place, is not revertible, verifies the written range', async () => {
    const dir = tmp();
    const target = join(dir, 'partition');
    writeFileSync(target, Buffer.alloc(300_000, 0xee));
    const bytes = randomBytes(100_000);
    const j = job(dir, bytes, 'raw', target);
    const h = createHandlerRegistry().get('raw');
    expect(h.revertible(j)).toBe(false);
    await h.prepare(j, ctx(dir));
    await h.transfer(j, ctx(dir));
    await h.verify(j, ctx(dir));
    const after = readFileSync(target);
    expect(after.subarray(0, bytes.length).equals(bytes)).toBe(true);
    expect(after[bytes.length]).toBe(0xee);
    await expect(h.revert(j, ctx(dir))).rejects.toSatisfy((e) => isSoupError(e, 'SOUP_E_NOT_REVERTIBLE'));
  });
});

describe('dummy handler and registry', () => {
  it('dummy consumes and checks the stream', async () => {
    const dir = tmp();
    const j = job(dir, randomBytes(5000), 'dummy', join(dir, 'x'));
    const h = createHandlerRegistry().get('dummy');
    await h.transfer(j, ctx(dir));
    writeFileSync(j.image.path, 'short');
    await expect(h.transfer(j, ctx(dir))).rejects.toSatisfy((e) => isSoupError(e));
  });

  it('keys by image type; unknown types have no handler; configured handlers per module kind', () => {
    const r = createHandlerRegistry();
    expect(r.types).toEqual(['dummy', 'raw', 'rawfile', 'smp-image', 'uds-flash']);
    expect(r.has('swupdate-magic')).toBe(false);
    expect(() => r.get('swupdate-magic')).toThrow(/no handler for image type swupdate-magic/);
    expect(
      configuredHandler({ kind: 'serial', entry: { path: '/dev/x', baudRate: 115200, protocol: 'smp' } }),
    ).toBe('smp-image');
    expect(
      configuredHandler({
        kind: 'can',
        bus: { bus: 'can0', bitrate: 500000, ecus: [] },
        entry: { name: 'b', txId: '0x1', rxId: '0x2' },
      }),
    ).toBe('uds-flash');
  });
});

function vars(over: Partial<ScriptVariables> = {}): ScriptVariables {
  return {
    SOUP_ACTION_ID: '1',
    SOUP_RECIPE_ID: '2',
    SOUP_RECIPE_VERSION: '1.0',
    SOUP_PHASE: 'preinstall',
    SOUP_DATA_DIR: '/tmp',
    SOUP_ARTIFACTS_DIR: '/tmp',
    ...over,
  };
}

describe('script handlers', () => {
  it('a script that dumps its environment finds PATH, LANG and the action variables only, no token', async () => {
    const dir = tmp();
    const script = join(dir, 'dump.sh');
    const out = join(dir, 'env.txt');
    writeFileSync(script, `env > ${out}\n`);
    const saved = { ...process.env };
    process.env.SOUP_AGENT_TARGET_TOKEN = 'tt-secret-4711';
    process.env.SOUP_AGENT_CONFIG = '/etc/soup-agent/config.json';
    process.env.HOME = '/root';
    try {
      await runScript({ path: script, args: [], env: vars({ SOUP_ACTION_ID: '17' }), timeoutMs: 10_000 });
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
    const text = readFileSync(out, 'utf8');
    expect(text).not.toContain('tt-secret-4711');
    const names = text
      .trim()
      .split('\n')
      .map((l) => l.slice(0, l.indexOf('=')))
      // what /bin/sh itself sets for the commands it runs
      .filter((n) => !['PWD', 'OLDPWD', 'SHLVL', '_'].includes(n))
      .sort();
    expect(names).toEqual([
      'LANG',
      'PATH',
      'SOUP_ACTION_ID',
      'SOUP_ARTIFACTS_DIR',
      'SOUP_DATA_DIR',
      'SOUP_PHASE',
      'SOUP_RECIPE_ID',
      'SOUP_RECIPE_VERSION',
    ]);
    expect(text).toContain(`PATH=${SCRIPT_PATH}\n`);
    expect(text).toContain('SOUP_ACTION_ID=17\n');
  });

  it('run with /bin/sh and SOUP_* environment; argument per type and phase', async () => {
    const dir = tmp();
    const script = join(dir, 'pre.sh');
    const out = join(dir, 'out.txt');
    writeFileSync(script, `echo "$SOUP_PHASE $SOUP_ACTION_ID $1" > ${out}\n`);
    await runScript({
      path: script,
      args: scriptArgs('shellscript', 'postinstall') ?? [],
      env: vars({ SOUP_PHASE: 'postinstall', SOUP_ACTION_ID: '17' }),
      timeoutMs: 10_000,
    });
    expect(readFileSync(out, 'utf8').trim()).toBe('postinstall 17 postinst');
    expect(scriptArgs('preinstall', 'postinstall')).toBeUndefined();
    expect(scriptArgs('preinstall', 'preinstall')).toEqual([]);
  });

  it('a non-zero exit fails the step, naming the code', async () => {
    const dir = tmp();
    const script = join(dir, 'fail.sh');
    writeFileSync(script, 'exit 7\n');
    await expect(runScript({ path: script, args: [], env: vars(), timeoutMs: 10_000 })).rejects.toThrow(
      /exited with code 7/,
    );
  });

  it('the timeout kills the script and fails the step', async () => {
    const dir = tmp();
    const script = join(dir, 'slow.sh');
    writeFileSync(script, 'sleep 30\n');
    await expect(runScript({ path: script, args: [], env: vars(), timeoutMs: 300 })).rejects.toThrow(
      /timed out after 300 ms/,
    );
  });
});
