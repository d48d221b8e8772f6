/**
 * The console's browser tests: server-lite, `soup-agent simulate` and `soup-agent run` as separate
 * processes (as in `test/e2e`), and Debian's chromium driven by playwright-core (no browser download).
 * Each page is checked with axe-core injected into it, and photographed into `.tmp/screenshots/`.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { ManagementClient } from '../../src/demo/management-client.js';
import { cli } from '../e2e/harness.js';
import { type Proc, startProc } from '../e2e/processes.js';

export const USERS = {
  admin: { password: 'console-admin-pw', roles: ['ADMIN'] },
  /** May create, edit, promote, sign and release recipes and upload software; may not approve. */
  alice: { password: 'console-alice-pw', roles: ['SYSTEM_RESPONSIBLE', 'MODULE_RESPONSIBLE'] },
  /** May approve, nothing else but read. */
  bob: { password: 'console-bob-pw', roles: ['APPROVER'] },
} as const;
export type UserName = keyof typeof USERS;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SCREENSHOTS = join(ROOT, '.tmp', 'screenshots');
const AXE = readFileSync(join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export class ConsoleRig {
  readonly dir = mkdtempSync(join(tmpdir(), 'soup-console-'));
  readonly logs = join(this.dir, 'logs');
  readonly keys = join(this.dir, 'keys');
  readonly processes: Proc[] = [];
  url = '';
  admin!: ManagementClient;
  browser!: Browser;

  async start(): Promise<void> {
    for (const d of [this.logs, this.keys, join(this.dir, 'server')]) mkdirSync(d, { recursive: true });
    const keygen = cli(['keygen', '--kid', 'oem-console', '--out', this.keys]);
    if (keygen.status !== 0) throw new Error(`keygen failed: ${keygen.stderr}`);
    const config = join(this.dir, 'server', 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        port: 0,
        host: '127.0.0.1',
        dataDir: join(this.dir, 'server', 'data'),
        tenant: 'DEFAULT',
        users: Object.entries(USERS).map(([name, u]) => ({ name, password: u.password, roles: u.roles })),
        signers: join(this.keys, 'oem-console.jwks.json'),
        pollingSleep: '00:00:01',
      }),
    );
    const server = startProc(
      'server-lite',
      ['server-lite', '-c', config],
      join(this.logs, 'server-lite.log'),
    );
    this.processes.push(server);
    this.url = (
      await server.waitForLine<{ ready?: boolean; url: string }>((l) => l.ready === true, 30_000)
    ).url;
    this.admin = new ManagementClient(this.url, 'admin', USERS.admin.password);
    await this.admin.put('tenant/configs/soup.systemreport.version.property.names', {
      value: ['hwVersion', 'swVersion'],
    });
    this.browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }

  /** A fresh browser context (its own session storage); CSP bypassed only so that axe can be injected. */
  async page(viewport = { width: 1280, height: 860 }): Promise<{ context: BrowserContext; page: Page }> {
    const context = await this.browser.newContext({ viewport, bypassCSP: true });
    const page = await context.newPage();
    return { context, page };
  }

  /** Signs the recipe file (exact bytes as served) with the project's CLI; returns the compact JWS. */
  async sign(recipeId: number): Promise<string> {
    const file = join(this.dir, `recipe-${recipeId}.json`);
    writeFileSync(file, await this.admin.bytes(`recipes/${recipeId}/file`));
    const r = cli([
      'sign',
      '--key',
      join(this.keys, 'oem-console.private.jwk.json'),
      '--kid',
      'oem-console',
      file,
    ]);
    if (r.status !== 0) throw new Error(`sign failed: ${r.stderr}`);
    const jws = join(this.dir, `recipe-${recipeId}.jws`);
    writeFileSync(jws, r.stdout.trim());
    return jws;
  }

  startProcess(name: string, args: string[]): Proc {
    const p = startProc(name, args, join(this.logs, `${name}.log`));
    this.processes.push(p);
    return p;
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    for (const p of this.processes.reverse()) await p.stop();
  }
}

/** `expect.poll` with room for a loaded machine: the browser, server-lite and the agent share two cores. */
export function poll<T>(fn: () => T | Promise<T>, options: { timeout?: number; interval?: number } = {}) {
  return expect.poll(fn, { timeout: 20_000, interval: 100, ...options });
}

export async function signIn(page: Page, url: string, user: UserName): Promise<void> {
  await page.goto(`${url}/console/`);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(USERS[user].password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await poll(() => page.locator('#user .who').textContent()).toContain(user);
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
}

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/** axe-core in the page: no serious or critical violation. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  await page.addScriptTag({ content: AXE });
  const violations = (await page.evaluate(
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) })))`,
  )) as Violation[];
  const severe = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(severe, `${name}: ${JSON.stringify(severe, null, 1)}`).toEqual([]);
}

/** The whole page, or only its top `height` pixels (the picture in the README). */
export async function screenshot(page: Page, name: string, height?: number): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  const width = page.viewportSize()?.width ?? 1280;
  await page.screenshot(
    height === undefined ? { path, fullPage: true } : { path, clip: { x: 0, y: 0, width, height } },
  );
  return path;
}
