/**
 * Offline bundles end to end: server-lite and the CLI as separate processes, real keys, a real tar file.
 * `bundle create` (as the system update app, with the gateway's `report --json`) → tampered copies are
 * refused with one line and nothing installed → `install BUNDLE` on an agent that has NO network to the
 * server (its config points at a closed port), in-process → bytes in place, `status` shows the result →
 * `feedback export` → `bundle upload-feedback` closes the action with success, each feedbackId once.
 * Then a second bundle is installed through the running (still offline) daemon, and the daemon, once
 * online, delivers that feedback through its outbox and closes the action.
 */

import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CID, cli, E2e, image, sha256, TOKEN } from './harness.js';
import { CLI } from './processes.js';

async function closedPortUrl(): Promise<string> {
  const port = await new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port: p } = srv.address() as { port: number };
      srv.close(() => resolve(p));
    });
  });
  return `http://127.0.0.1:${port}`;
}

/** A copy of `bundle` with one entry changed by `edit`. */
async function tampered(
  dir: string,
  bundle: string,
  name: string,
  edit: (b: Buffer) => Buffer,
): Promise<string> {
  const work = join(dir, `tamper-${name.replace(/\W/g, '_')}`);
  mkdirSync(work, { recursive: true });
  await tar.x({ file: bundle, cwd: work });
  const target =
    name === 'artifact' ? join('artifacts', readdirSync(join(work, 'artifacts'))[0] as string) : name;
  writeFileSync(join(work, target), edit(readFileSync(join(work, target))));
  const out = `${work}.tar`;
  const entries = [
    'bundle.json',
    'recipe-file.json',
    'signatures.json',
    ...readdirSync(join(work, 'artifacts')).map((a) => `artifacts/${a}`),
  ];
  await tar.c({ file: out, cwd: work, portable: true }, entries);
  return out;
}

describe('e2e offline: bundle create → install without network → feedback export/upload', () => {
  const e = new E2e();
  let offline: string;
  let online: string;
  const v2 = image('2.0.0');
  const server = () => ['--server', e.url, '--tenant', 'DEFAULT', '--controller', CID, '--token', TOKEN];

  beforeAll(async () => {
    await e.start();
    online = e.agentConfig();
    const value = JSON.parse(readFileSync(online, 'utf8')) as { server: { url: string } };
    value.server.url = await closedPortUrl();
    offline = join(e.dir, 'agent', 'config-offline.json');
    writeFileSync(offline, JSON.stringify(value));
  }, 60_000);
  afterAll(async () => {
    await e.stop();
  });

  function bundleFor(name: string): string {
    const report = join(e.dir, `${name}.report.json`);
    const r = cli(['report', '--json', '-c', offline]);
    expect(r.status, r.stderr).toBe(0);
    writeFileSync(report, r.stdout);
    const out = join(e.dir, `${name}.tar`);
    const c = cli(['bundle', 'create', ...server(), '--report', report, '-o', out]);
    expect(c.status, c.stderr).toBe(0);
    return out;
  }

  it('bundle create exits 1 with one line when no system update is open', () => {
    const r = cli(['bundle', 'create', ...server(), '-o', join(e.dir, 'none.tar')]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no system update is open for gw-e2e-0001/);
  });

  it('a released recipe travels as a bundle; tampered copies are refused; the bundle installs offline', async () => {
    const recipeId = await e.release({ version: '2.0.0', image: v2 });
    const bundle = bundleFor('v2');
    const [open] = (await e.actions()).filter((a) => a.status === 'open');
    expect(open).toBeDefined();

    // the recipe bytes altered: the signature no longer verifies
    const badRecipe = await tampered(e.dir, bundle, 'recipe-file.json', (b) =>
      Buffer.from(b.toString('utf8').replace('end-to-end recipe', 'end-to-end recipE')),
    );
    let r = cli(['install', badRecipe, '-c', offline]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/recipe-file\.json: signature/);
    // one byte of the image altered: its SHA-256 no longer matches the signed recipe file
    const badArtifact = await tampered(e.dir, bundle, 'artifact', (b) => {
      const c = Buffer.from(b);
      c[c.length - 1] = (c[c.length - 1] ?? 0) ^ 0xff;
      return c;
    });
    r = cli(['install', badArtifact, '-c', offline]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/artifacts\/.* does not match its SHA-256/);
    expect(e.installed().toString()).toBe('factory image');
    expect(e.status(offline)).toMatchObject({ update: null, lastResult: null, pendingFeedback: 0 });

    // the real bundle, no daemon, no network
    r = cli(['install', bundle, '-c', offline]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`installed: action ${open?.id} success`));
    expect(sha256(e.installed())).toBe(sha256(v2));
    const status = e.status(offline);
    expect(status).toMatchObject({
      agent: { running: false },
      installedRecipe: { id: String(recipeId), version: '2.0.0' },
      update: null,
      lastResult: { actionId: String(open?.id), finished: 'success' },
    });
    expect(status.pendingFeedback as number).toBeGreaterThan(0);
    // nothing reached the server
    expect((await e.actions()).find((a) => String(a.id) === String(open?.id))?.status).toBe('open');

    const exported = join(e.dir, 'feedback.json');
    r = cli(['feedback', 'export', '-o', exported, '-c', offline]);
    expect(r.status, r.stderr).toBe(0);
    const records = (JSON.parse(readFileSync(exported, 'utf8')) as { records: Record<string, unknown>[] })
      .records;
    expect(records.length).toBe(status.pendingFeedback);
    for (const rec of records)
      expect(rec).toMatchObject({ offline: true, actionId: String(open?.id), recipeId: String(recipeId) });
    expect(records.at(-1)).toMatchObject({
      status: { execution: 'closed', result: { finished: 'success' } },
    });

    const wrongToken = server().map((v) => (v === TOKEN ? 'not-the-token' : v));
    r = cli(['bundle', 'upload-feedback', ...wrongToken, exported]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/offlineFeedback: HTTP 401/);
    for (let i = 0; i < 2; i++) {
      r = cli(['bundle', 'upload-feedback', ...server(), exported]);
      expect(r.status, r.stderr).toBe(0);
    }
    const closed = (await e.actions()).find((a) => String(a.id) === String(open?.id));
    expect(closed).toMatchObject({ status: 'finished', result: 'success' });
    const ids = (closed?.feedback ?? []).map((f) => f.feedbackId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(records.map((rec) => rec.feedbackId)));
  }, 120_000);

  it('through the running offline daemon; once online the daemon delivers the feedback and closes the action', async () => {
    const v3 = image('3.0.0');
    await e.release({ version: '3.0.0', image: v3 });
    const daemon = e.startAgent(offline);
    await daemon.waitForLine(() => true, 1).catch(() => undefined);
    // the daemon holds the state: wait for its control socket
    const deadline = Date.now() + 20_000;
    while (!(e.status(offline).agent as { running: boolean }).running && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 200));
    const bundle = bundleFor('v3');
    const [open] = (await e.actions()).filter((a) => a.status === 'open');
    expect(open).toBeDefined();
    const r = cli(['install', bundle, '-c', offline]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`installed: action ${open?.id} success`));
    expect(sha256(e.installed())).toBe(sha256(v3));
    expect(e.status(offline)).toMatchObject({
      agent: { running: true },
      installedRecipe: { version: '3.0.0' },
    });
    expect((await e.actions()).find((a) => String(a.id) === String(open?.id))?.status).toBe('open');
    // the same bundle again is refused: the action already ended here
    const again = cli(['install', bundle, '-c', offline]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already installed here/);

    await daemon.stop();
    e.startAgent(online);
    const closed = await e.waitForAction((a) => String(a.id) === String(open?.id) && a.status !== 'open');
    expect(closed).toMatchObject({ status: 'finished', result: 'success' });
    const ids = closed.feedback.map((f) => f.feedbackId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(closed.feedback.at(-1)?.status).toMatchObject({
      execution: 'closed',
      result: { finished: 'success' },
    });
    expect(sha256(e.installed())).toBe(sha256(v3));
  }, 120_000);

  it('with consent: always the in-process install waits for `soup-agent consent accept`, then installs', async () => {
    await e.agent?.stop();
    const v4 = image('4.0.0');
    await e.release({ version: '4.0.0', image: v4 });
    const bundle = bundleFor('v4');
    const always = join(e.dir, 'agent', 'config-offline-always.json');
    writeFileSync(
      always,
      JSON.stringify({ ...JSON.parse(readFileSync(offline, 'utf8')), consent: 'always' }),
    );
    const child = spawn(process.execPath, [CLI, 'install', bundle, '-c', always], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const exited = new Promise<number | null>((res) => child.once('exit', res));
    // a failing expectation must not leave the install running
    const reap = setTimeout(() => child.kill('SIGKILL'), 90_000);
    exited.finally(() => clearTimeout(reap));
    const deadline = Date.now() + 60_000;
    while (!out.includes('waits for consent') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(out, err).toMatch(/waits for consent: soup-agent consent accept\|deny/);
    expect(e.installed().equals(v4)).toBe(false);
    const answer = cli(['consent', 'accept', '-c', always]);
    expect(answer.status, answer.stderr).toBe(0);
    expect(await exited, err).toBe(0);
    expect(out).toMatch(/installed: action \d+ success/);
    expect(sha256(e.installed())).toBe(sha256(v4));
  }, 120_000);

  it('anti-rollback: an older recipe is refused with one line and the gateway untouched, unless --allow-downgrade', async () => {
    const installedBefore = e.installed();
    const before = e.status(offline);
    const dataDir = (JSON.parse(readFileSync(offline, 'utf8')) as { dataDir: string }).dataDir;
    const bundlesBefore = readdirSync(join(dataDir, 'bundles'));
    expect(before).toMatchObject({ installedRecipe: { version: '4.0.0' } });
    // the v4 bundle made older: recipe version 3.9.9 (signed again with the trusted key), a new action id
    const work = join(e.dir, 'older');
    mkdirSync(work, { recursive: true });
    await tar.x({ file: join(e.dir, 'v4.tar'), cwd: work });
    const recipeFile = JSON.parse(readFileSync(join(work, 'recipe-file.json'), 'utf8')) as {
      software: { version: string };
    };
    recipeFile.software.version = '3.9.9';
    writeFileSync(join(work, 'recipe-file.json'), JSON.stringify(recipeFile));
    const signed = cli([
      'sign',
      '--key',
      join(e.dir, 'keys', 'trusted', 'oem-e2e.private.jwk.json'),
      '--kid',
      'oem-e2e',
      join(work, 'recipe-file.json'),
    ]);
    expect(signed.status, signed.stderr).toBe(0);
    writeFileSync(
      join(work, 'signatures.json'),
      JSON.stringify({ signatures: [{ id: '1', format: 'jws', value: signed.stdout.trim() }] }),
    );
    const manifest = JSON.parse(readFileSync(join(work, 'bundle.json'), 'utf8')) as {
      actionId: string;
      recipe: { version: string };
    };
    manifest.actionId = '99999';
    manifest.recipe.version = '3.9.9';
    writeFileSync(join(work, 'bundle.json'), JSON.stringify(manifest));
    const older = join(e.dir, 'older.tar');
    await tar.c({ file: older, cwd: work, portable: true }, [
      'bundle.json',
      'recipe-file.json',
      'signatures.json',
      ...readdirSync(join(work, 'artifacts')).map((a) => `artifacts/${a}`),
    ]);

    let r = cli(['install', older, '-c', offline]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toBe(
      'soup-agent: bundle: recipe e2e-fleet 3.9.9 is older than the installed 4.0.0; nothing was changed (install --allow-downgrade to install it anyway)',
    );
    expect(e.installed().equals(installedBefore)).toBe(true);
    expect(e.status(offline)).toEqual(before);
    expect(readdirSync(join(dataDir, 'bundles'))).toEqual(bundlesBefore);

    // the same through the running daemon (control socket): refused, then allowed
    const daemon = e.startAgent(offline);
    const deadline = Date.now() + 20_000;
    while (!(e.status(offline).agent as { running: boolean }).running && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 200));
    r = cli(['install', older, '-c', offline]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/install: bundle: recipe e2e-fleet 3\.9\.9 is older than the installed 4\.0\.0/);
    expect(e.installed().equals(installedBefore)).toBe(true);
    expect(e.status(offline)).toMatchObject({ installedRecipe: before.installedRecipe, update: null });

    r = cli(['install', older, '--allow-downgrade', '-c', offline]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/installed: action 99999 success/);
    expect(e.status(offline)).toMatchObject({ installedRecipe: { version: '3.9.9' } });
    await daemon.stop();
  }, 120_000);
});
