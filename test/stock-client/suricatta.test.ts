/**
 * A stock hawkBit DDI client against server-lite, unchanged: SWUpdate's suricatta (Debian's `swupdate`
 * package) polls, downloads a single-distribution-set deployment (a real CMS-signed `.swu`), installs it
 * with its `rawfile` handler and posts feedback. Requires `swupdate` and `openssl` on PATH
 * (`scripts/setup.sh` installs them); the test fails, not skips, when they are missing.
 *
 * SWUpdate's Debian build only accepts signed images: the test makes a throw-away self-signed
 * certificate and signs `sw-description` with `openssl cms` (detached, DER), as SWUpdate's docs describe.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCpioNewc } from '../helpers/cpio-newc.js';
import { type Harness, sha256, startHarness } from '../server-lite/harness.js';

const TOKEN_OK = 'suricatta-token-ok';
/** This SWUpdate build requires `hardware-compatibility` in sw-description; `-H` gives the board's. */
const BOARD = 'soup-test';
const HW_REVISION = '1.0';
/** What suricatta logs when server-lite answers a request with a status it does not accept. */
const HTTP_ERROR = /returned (unhandled )?HTTP error code/;

function need(tool: string, args: string[]): string {
  try {
    return execFileSync(tool, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(
      `${tool} is needed by this test (${(err as Error).message.split('\n')[0]}): run scripts/setup.sh`,
    );
  }
}

interface Swu {
  path: string;
  payload: Buffer;
  target: string;
}

/** sw-description (libconfig) installing one file with the `rawfile` handler, signed, packed as newc. */
async function buildSwu(dir: string, name: string, payload: Buffer, declaredSha256: string): Promise<Swu> {
  const work = join(dir, name);
  mkdirSync(work, { recursive: true });
  mkdirSync(join(dir, 'installed'), { recursive: true });
  const target = join(dir, 'installed', `${name}.bin`);
  const desc = [
    'software =',
    '{',
    '  version = "1.0.0";',
    `  description = "soup-agent stock client test ${name}";`,
    `  hardware-compatibility: [ "${HW_REVISION}" ];`,
    '  files: (',
    '    {',
    '      filename = "payload.bin";',
    `      path = "${target}";`,
    '      type = "rawfile";',
    `      sha256 = "${declaredSha256}";`,
    '    }',
    '  );',
    '};',
    '',
  ].join('\n');
  writeFileSync(join(work, 'sw-description'), desc);
  writeFileSync(join(work, 'payload.bin'), payload);
  need('openssl', [
    'cms',
    '-sign',
    '-in',
    join(work, 'sw-description'),
    '-out',
    join(work, 'sw-description.sig'),
    '-signer',
    join(dir, 'cert.pem'),
    '-inkey',
    join(dir, 'key.pem'),
    '-outform',
    'DER',
    '-nosmimecap',
    '-binary',
  ]);
  const path = join(dir, `${name}.swu`);
  await writeCpioNewc(path, [
    { name: 'sw-description', path: join(work, 'sw-description') },
    { name: 'sw-description.sig', path: join(work, 'sw-description.sig') },
    { name: 'payload.bin', path: join(work, 'payload.bin') },
  ]);
  return { path, payload, target };
}

describe('SWUpdate suricatta (stock hawkBit client) against server-lite', () => {
  let h: Harness;
  let dir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    need('swupdate', ['--version']);
    h = await startHarness({ pollingSleep: '00:00:01' });
    dir = h.dir;
    need('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-subj',
      '/CN=soup-agent stock client test',
      '-days',
      '1',
      '-addext',
      'extendedKeyUsage=emailProtection',
    ]);
    writeFileSync(join(dir, 'swupdate.cfg'), 'globals :\n{\n  verbose = true;\n  loglevel = 6;\n};\n');
  });
  afterAll(async () => {
    for (const c of children) killGroup(c, 'SIGKILL');
    await h?.stop();
  });

  it('polls, downloads, installs, reports "All Chunks Installed"; after a restart with -c 2 closes with success', async () => {
    const cid = 'suricatta-ok';
    const payload = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));
    const swu = await buildSwu(dir, 'ok', payload, sha256(payload));
    const actionId = await assign(h, cid, TOKEN_OK, await uploadSet(h, 'swu-ok', swu.path));

    // First run: suricatta installs, reports the chunk installed, then waits for a reboot ("Please restart
    // SWUpdate to report the test results upstream"): the action stays open until the next start.
    const install = runSuricatta(h, dir, cid, TOKEN_OK, children);
    const installed = await waitAction(
      h,
      cid,
      actionId,
      (a) => hasDetail(a, 'All Chunks Installed.'),
      install,
    );
    expect(await install.stop()).not.toMatch(HTTP_ERROR);
    expect(readFileSync(swu.target).equals(payload)).toBe(true);
    expect(installed).toMatchObject({ status: 'open', result: null });

    // The "reboot": on a device the bootloader's `ustate` tells the next start how the update went; this
    // build runs without a bootloader, so the documented `-c 2` (confirm SUCCESS) tells it instead.
    const confirm = runSuricatta(h, dir, cid, TOKEN_OK, children, ['-c', '2']);
    const action = await waitAction(h, cid, actionId, (a) => a.status === 'finished', confirm);
    expect(await confirm.stop()).not.toMatch(HTTP_ERROR);
    expect(action).toMatchObject({ kind: 'deployment', status: 'finished', result: 'success' });
    const statuses = action.feedback.map(
      (f: Feedback) => `${f.status.execution}/${f.status.result.finished}`,
    );
    expect(statuses[0]).toBe('proceeding/none');
    expect(statuses.at(-1)).toBe('closed/success');
    expect(hasDetail(action, 'Installing Update Chunk Artifacts.')).toBe(true);
    expect(hasDetail(action, 'Installed Chunk.')).toBe(true);
    const target = await h.mgmt('reader').get(`targets/${cid}`);
    expect(target.json.updateStatus).toBe('in_sync');
    const root = await h.gateway(cid, `TargetToken ${TOKEN_OK}`).get('');
    expect(root.json._links.deploymentBase).toBeUndefined();
  }, 120_000);

  it('a payload whose sha256 differs from sw-description: suricatta reports closed/failure', async () => {
    const cid = 'suricatta-bad-hash';
    const token = 'suricatta-token-bad';
    const payload = Buffer.from('these bytes are not the ones sw-description promises\n');
    const swu = await buildSwu(dir, 'bad', payload, sha256('other bytes'));
    const actionId = await assign(h, cid, token, await uploadSet(h, 'swu-bad', swu.path));

    const run = runSuricatta(h, dir, cid, token, children);
    const action = await waitAction(h, cid, actionId, (a) => a.status === 'finished', run);
    const log = await run.stop();
    expect(action, log).toMatchObject({ status: 'finished', result: 'failure' });
    const last = action.feedback.at(-1) as Feedback;
    expect(last.status).toMatchObject({ execution: 'closed', result: { finished: 'failure' } });
    expect((await h.mgmt('reader').get(`targets/${cid}`)).json.updateStatus).toBe('error');
    expect(log).toMatch(/HASH mismatch/);
    expect(existsSync(swu.target)).toBe(false);
    // suricatta forwards its log lines as feedback details: server-lite kept them.
    expect(action.feedback.some((f) => f.status.details?.some((d) => d.includes('HASH mismatch')))).toBe(
      true,
    );
    expect(log).not.toMatch(HTTP_ERROR);
  }, 120_000);

  it('an action cancelled before the first poll: suricatta acknowledges cancelAction, nothing installed', async () => {
    const cid = 'suricatta-cancel';
    const token = 'suricatta-token-cancel';
    const payload = Buffer.from('never installed\n');
    const swu = await buildSwu(dir, 'cancel', payload, sha256(payload));
    const actionId = await assign(h, cid, token, await uploadSet(h, 'swu-cancel', swu.path));
    const del = await h.mgmt('systems').del(`targets/${cid}/actions/${actionId}`);
    expect(del.status).toBe(204);
    const before = await h.mgmt('reader').get(`targets/${cid}/actions/${actionId}`);
    expect(before.json).toMatchObject({ status: 'open', cancelRequested: true, feedback: [] });

    const run = runSuricatta(h, dir, cid, token, children);
    const action = await waitAction(
      h,
      cid,
      actionId,
      (a) => a.status !== 'open' && a.status !== 'canceling',
      run,
    );
    const log = await run.stop();
    expect(action.status, log).toBe('canceled');
    expect(action.feedback).toMatchObject([
      { channel: 'cancel', status: { execution: 'closed', result: { finished: 'success' } } },
    ]);
    expect(existsSync(swu.target)).toBe(false);
    expect(log).not.toMatch(HTTP_ERROR);
    const root = await h.gateway(cid, `TargetToken ${token}`).get('');
    expect(root.json._links.cancelAction).toBeUndefined();
  }, 120_000);
});

interface Feedback {
  channel: string;
  status: { execution: string; result: { finished: string }; details?: string[] };
}
interface Action {
  id: number;
  cancelRequested: boolean;
  status: string;
  result: string | null;
  feedback: Feedback[];
}

function hasDetail(a: Action, detail: string): boolean {
  return a.feedback.some((f) => f.status.details?.includes(detail));
}

async function assign(h: Harness, cid: string, token: string, setId: number): Promise<number> {
  const t = await h.mgmt('systems').post('targets', [{ controllerId: cid, securityToken: token }]);
  if (t.status !== 201) throw new Error(`target: ${t.status} ${t.text}`);
  const a = await h.mgmt('systems').post(`distributionsets/${setId}/assignedTargets`, [{ id: cid }]);
  if (a.status !== 200) throw new Error(`assign: ${a.status} ${a.text}`);
  return a.json.assignedActions[0].id as number;
}

async function uploadSet(h: Harness, name: string, swuPath: string): Promise<number> {
  const m = h.mgmt('modules');
  const sm = await m.post('softwaremodules', [{ name, version: '1.0.0', type: 'firmware', vendor: 'ACME' }]);
  if (sm.status !== 201) throw new Error(`module: ${sm.status} ${sm.text}`);
  const moduleId = sm.json[0].id as number;
  const up = await m.raw(
    'POST',
    `softwaremodules/${moduleId}/artifacts?filename=${name}.swu`,
    readFileSync(swuPath),
    {
      'content-type': 'application/octet-stream',
    },
  );
  if (up.status !== 201) throw new Error(`artifact: ${up.status} ${up.text}`);
  const ds = await m.post('distributionsets', [{ name, version: '1.0.0', modules: [{ id: moduleId }] }]);
  if (ds.status !== 201) throw new Error(`set: ${ds.status} ${ds.text}`);
  return ds.json[0].id as number;
}

function runSuricatta(
  h: Harness,
  dir: string,
  cid: string,
  token: string,
  children: ChildProcess[],
  extra: string[] = [],
) {
  const tmp = join(dir, `swupdate-tmp-${cid}`);
  mkdirSync(tmp, { recursive: true });
  const args = [
    '-f',
    join(dir, 'swupdate.cfg'),
    '-v',
    '-H',
    `${BOARD}:${HW_REVISION}`,
    '-k',
    join(dir, 'cert.pem'),
    '-u',
    [`-t DEFAULT -u ${h.url} -i ${cid} -k ${token} -p 1 -r 2 -w 1 -s 30`, ...extra].join(' '),
  ];
  let out = '';
  const start = (): ChildProcess => {
    const c = spawn('swupdate', args, {
      env: { ...process.env, TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.push(c);
    c.stdout?.on('data', (d) => {
      out += d;
    });
    c.stderr?.on('data', (d) => {
      out += d;
    });
    return c;
  };
  let child = start();
  let restarts = 0;
  const exitStatus = () =>
    child.signalCode !== null ? `signal ${child.signalCode}` : `code ${child.exitCode}`;
  return {
    exited: () => child.exitCode !== null || child.signalCode !== null,
    exitStatus,
    /**
     * SWUpdate 2022.12 has been seen to exit in the middle of a run a few times in the full suite (never
     * alone, under CPU load or beside the e2e tests); a device runs it under a supervisor that starts it
     * again, and so does this, once. The action must still end as the test expects.
     */
    restart: (): boolean => {
      if (restarts >= 1) return false;
      restarts += 1;
      const why = `swupdate exited (${exitStatus()}) before the action ended: started again`;
      console.warn(why);
      out += `\n[test] ${why}\n`;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL'); // helpers left of the old group
      } catch {
        // none left
      }
      child = start();
      return true;
    },
    output: () => out,
    stop: async (): Promise<string> => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        killGroup(child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
        await gone;
        clearTimeout(timer);
      }
      return out;
    },
  };
}

/** swupdate forks helpers (suricatta, chunks downloader): signal its whole process group. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal); // the group is gone: the leader alone is left
  }
}

/** Polls the Management API until `done(action)`; fails with swupdate's output after `ms` or its exit. */
async function waitAction(
  h: Harness,
  cid: string,
  actionId: number,
  done: (a: Action) => boolean,
  run: { exited: () => boolean; exitStatus: () => string; restart: () => boolean; output: () => string },
  ms = 60_000,
): Promise<Action> {
  const until = Date.now() + ms;
  let last: Action | undefined;
  for (;;) {
    // read after checking for the exit: swupdate may post its last feedback and exit at once
    const exited = run.exited();
    const r = await h.mgmt('reader').get(`targets/${cid}/actions/${actionId}`);
    last = r.json as Action;
    if (r.status === 200 && done(last)) return last;
    if (exited && run.restart()) continue;
    if (exited || Date.now() >= until) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `swupdate ${run.exited() ? `exited (${run.exitStatus()})` : `did not get there in ${ms} ms`}; action: ${JSON.stringify(last)}\n${run.output()}`,
  );
}
