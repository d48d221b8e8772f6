/**
 * The web console in a real browser against real processes: sign-in; software upload with a progress
 * bar; a recipe created from existing distribution sets, its validation error seen and fixed, promoted,
 * signed (the project's CLI), released and approved by an approver (the approve button absent for a
 * user without that role); a simulated gateway (agent + simulated SMP display) updating live to
 * success on its system page; the match reason of a system no recipe matches; the fleet picture.
 * Every page passes axe-core without serious or critical violations and is photographed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemoImages, type DemoImage } from '../../src/demo/images.js';
import { demoModulesConfig, demoSimulatedModules } from '../../src/demo/system.js';
import { ConsoleRig, expectAccessible, poll, screenshot, signIn, signOut } from './harness.js';

const GATEWAY = 'gw-console-0001';
const GATEWAY_TOKEN = 'console-target-token-41d2';
const LONELY = 'gw-console-lonely';
const LONELY_TOKEN = 'console-lonely-token-93aa';

interface Entity {
  id: number;
}

describe('console: the fleet in a browser', () => {
  const rig = new ConsoleRig();
  let images: DemoImage[];
  let page: Page;
  let gatewaySm: number;
  let recipeId: number;

  beforeAll(async () => {
    await rig.start();
    const dev = join(rig.dir, 'dev');
    const imageDir = join(rig.dir, 'images');
    mkdirSync(dev, { recursive: true });
    mkdirSync(imageDir, { recursive: true });
    images = await buildDemoImages(imageDir, { smp: true, uds: false });
    // the display: its software module, artifact and distribution set exist before the console is used
    const display = images.find((i) => i.module === 'display')!;
    const [dsm] = await rig.admin.post<Entity[]>('softwaremodules', [
      { name: 'display-fw', version: display.version, type: 'firmware', vendor: 'Console' },
    ]);
    await rig.admin.upload(`softwaremodules/${dsm!.id}/artifacts`, display.path, display.filename);
    await rig.admin.post('distributionsets', [
      { name: 'display-fw', version: display.version, type: 'firmware', modules: [{ id: dsm!.id }] },
    ]);
    // the gateway image's module exists; its artifact and set are made in the console
    const gateway = images.find((i) => i.module === 'gateway')!;
    const [gsm] = await rig.admin.post<Entity[]>('softwaremodules', [
      { name: 'gateway-fw', version: gateway.version, type: 'firmware', vendor: 'Console' },
    ]);
    gatewaySm = gsm!.id;
    await rig.admin.post('targets', [
      { controllerId: GATEWAY, name: 'Console rig gateway', securityToken: GATEWAY_TOKEN },
      { controllerId: LONELY, name: 'Gateway with an unknown module', securityToken: LONELY_TOKEN },
    ]);
    // a system whose report has a module no recipe has a definition for
    const report = await fetch(`${rig.url}/DEFAULT/controller/v1/${LONELY}/systemReport`, {
      method: 'PUT',
      headers: { authorization: `TargetToken ${LONELY_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        timestamp: new Date().toISOString(),
        gatewayId: LONELY,
        modules: [
          {
            id: LONELY,
            type: 'gateway',
            name: 'gateway',
            attributes: { 'module-id': 'gw', swVersion: '1.0.0' },
          },
          {
            id: 'SN-9999-1',
            type: '9999',
            name: 'scanner',
            attributes: { 'module-id': '9999', hwVersion: '3.1' },
          },
        ],
      }),
    });
    expect(report.status).toBe(204);
    // the simulated display (slow flash, so the transfer is visible) and the agent
    const simConfig = join(dev, 'simulate.json');
    writeFileSync(
      simConfig,
      JSON.stringify({
        modules: demoSimulatedModules(dev, { smp: true, uds: false }, { flashWriteBytesPerSec: 12_000 }),
      }),
    );
    const sim = rig.startProcess('simulate', ['simulate', '-c', simConfig]);
    await sim.waitForLine((l) => l.ready === true, 30_000);
    const target = join(rig.dir, 'gateway-rootfs.img');
    writeFileSync(target, 'factory image');
    const agentConfig = join(rig.dir, 'agent.json');
    writeFileSync(
      agentConfig,
      JSON.stringify({
        server: {
          url: rig.url,
          tenant: 'DEFAULT',
          controllerId: GATEWAY,
          auth: { targetToken: GATEWAY_TOKEN },
        },
        dataDir: join(rig.dir, 'agent-data'),
        trust: { keys: join(rig.keys, 'oem-console.jwks.json') },
        modules: {
          ...demoModulesConfig(dev, { smp: true, uds: false }),
          local: [
            {
              name: 'gateway',
              gateway: true,
              type: 'gateway',
              attributes: { 'module-id': 'gw', swVersion: '1.0.0' },
              handler: 'rawfile',
              target,
            },
          ],
        },
        consent: 'whenAsked',
        polling: { defaultSleepMs: 1000, errorBaseMs: 200, errorCapMs: 2000 },
        update: { retryDelayMs: 200 },
      }),
    );
    rig.startProcess('agent', ['run', '-c', agentConfig]);
    // the gateway's first system report has arrived
    const deadline = Date.now() + 60_000;
    for (;;) {
      const system = await rig.admin.get<{ lastReport: { modules: unknown[] } | null }>(`systems/${GATEWAY}`);
      if (system.lastReport?.modules.length === 2) break;
      if (Date.now() > deadline) throw new Error(`no system report from the agent (logs: ${rig.logs})`);
      await new Promise((r) => setTimeout(r, 300));
    }
    ({ page } = await rig.page());
  }, 120_000);

  afterAll(async () => {
    await rig.stop();
  }, 60_000);

  it('signs in: a wrong password is refused in one line, the right one opens the systems list', async () => {
    await page.goto(`${rig.url}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expectAccessible(page, 'sign-in');
    await screenshot(page, 'sign-in');
    await page.getByLabel('User name').fill('alice');
    await page.getByLabel('Password').fill('not her password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await poll(() => page.getByRole('alert').textContent()).toBe('Wrong user name or password.');
    await signIn(page, rig.url, 'alice');
    await page.getByRole('heading', { name: 'Systems' }).waitFor();
    await poll(() => page.locator('tbody tr').count()).toBe(2);
    await poll(() => page.locator('#user .who').textContent()).toBe(
      'alice (SYSTEM_RESPONSIBLE, MODULE_RESPONSIBLE)',
    );
  });

  it('searches systems with RSQL, and names a bad query with its position', async () => {
    await page.getByLabel('Filter (RSQL)').fill(`controllerId==${LONELY}`);
    await page.getByRole('button', { name: 'Search' }).click();
    await poll(() => page.locator('tbody tr').count()).toBe(1);
    await poll(() => page.locator('tbody tr td').first().textContent()).toBe(LONELY);
    await page.getByLabel('Filter (RSQL)').fill('controllerId=~x');
    await page.getByRole('button', { name: 'Search' }).click();
    await poll(() => page.getByRole('alert').textContent()).toMatch(/position \d+.*HTTP 400/);
    await page.getByLabel('Filter (RSQL)').fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    await poll(() => page.locator('tbody tr').count()).toBe(2);
    await expectAccessible(page, 'systems');
    await screenshot(page, 'systems');
  });

  it('uploads an artifact with a progress bar and makes a distribution set from existing modules', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Software' }).click();
    await page.getByRole('heading', { name: 'Software', level: 1 }).waitFor();
    const gateway = images.find((i) => i.module === 'gateway')!;
    await page.getByRole('button', { name: `Artifacts of gateway-fw ${gateway.version}` }).click();
    await page.getByLabel(`Artifact file for gateway-fw ${gateway.version}`).setInputFiles(gateway.path);
    await page.getByRole('button', { name: 'Upload artifact' }).click();
    await poll(() => page.locator('form.upload').getAttribute('data-uploaded')).toBe(gateway.filename);
    expect(await page.getByLabel('Upload progress').getAttribute('value')).toBe('100');
    await poll(() => page.locator('form.upload .bar-text').textContent()).toContain(
      `SHA-256 ${gateway.sha256}`,
    );
    const artifacts = await rig.admin.get<{ filename: string; hashes: { sha256: string } }[]>(
      `softwaremodules/${gatewaySm}/artifacts`,
    );
    expect(artifacts.map((a) => [a.filename, a.hashes.sha256])).toEqual([[gateway.filename, gateway.sha256]]);
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'New distribution set' }) });
    await form.getByLabel('Name').fill('gateway-fw');
    await form.getByLabel('Version').fill(gateway.version);
    await form.getByLabel(`gateway-fw ${gateway.version} (firmware)`).check();
    await form.getByRole('button', { name: 'Create distribution set' }).click();
    const row = page
      .locator('tr', { hasText: `gateway-fw ${gateway.version}` })
      .filter({ hasText: 'complete' });
    await row.first().waitFor();
    await expectAccessible(page, 'software');
    await screenshot(page, 'software');
  });

  it('creates a recipe from existing distribution sets, shows its validation error, and the fix', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Recipes' }).click();
    await page.getByRole('link', { name: 'New recipe' }).click();
    await page.getByRole('heading', { name: 'New recipe' }).waitFor();
    const top = page.locator('.recipe-form > .grid');
    await top.getByLabel('Name').fill('console-fleet');
    await top.getByLabel('Version').fill('1.1.0');
    await top.getByLabel('Description').fill('gateway and display, made in the console');
    await page.getByRole('button', { name: 'Add a module definition' }).click();
    const defs = page.locator('fieldset.definition');
    const gateway = images.find((i) => i.module === 'gateway')!;
    const display = images.find((i) => i.module === 'display')!;
    const fillDefinition = async (i: number, img: DemoImage, match: string) => {
      const d = defs.nth(i);
      await d.getByLabel('Name').fill(img.module);
      await d.getByLabel('Match query').fill(match);
      await d.getByLabel('Count query').fill(img.count);
      await d
        .getByLabel('Distribution set')
        .selectOption({ label: `${img.module}-fw ${img.version} (firmware)` });
      await d.getByLabel('Image type (handler)').fill(img.handler);
    };
    // a typo in the first match query: `=~` is not an operator
    await fillDefinition(0, gateway, 'attributes.module-id=~gw');
    await fillDefinition(1, display, display.match);
    await expectAccessible(page, 'recipe-new');
    await screenshot(page, 'recipe-new');
    await page.getByRole('button', { name: 'Create draft' }).click();
    await poll(() => page.locator('main').getAttribute('data-validity')).toBe('INVALID');
    recipeId = Number(/#\/recipes\/(\d+)$/.exec(page.url())?.[1]);
    const issue = page.locator('table', { has: page.locator('caption', { hasText: 'Validation results' }) });
    await poll(() => issue.locator('tbody tr td').nth(1).textContent()).toBe('modules[0].match');
    const position = Number(await issue.locator('tbody tr td').nth(2).textContent());
    expect(position).toBeGreaterThan(0);
    expect(await issue.locator('mark').textContent()).toBe('attributes.module-id=~gw'[position]);
    await poll(() => page.getByRole('button', { name: 'Promote' }).count()).toBe(1);
    await expectAccessible(page, 'recipe-invalid');
    await screenshot(page, 'recipe-invalid');
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByRole('heading', { name: 'Edit console-fleet 1.1.0' }).waitFor();
    await defs.nth(0).getByLabel('Match query').fill(gateway.match);
    await page.getByRole('button', { name: 'Save draft' }).click();
    await poll(() => page.locator('main').getAttribute('data-validity')).toBe('VALID');
    await poll(() => issue.count()).toBe(0);
  }, 90_000);

  it('promotes, takes an uploaded signature, and releases; the approve button is not there for alice', async () => {
    await page.getByRole('button', { name: 'Promote' }).click();
    await poll(() => page.locator('main').getAttribute('data-lifecycle')).toBe('WAITING_FOR_SIGNATURE');
    await page.getByTestId('recipe-file').waitFor();
    const jws = await rig.sign(recipeId);
    await page.getByLabel('Signature file').setInputFiles(jws);
    await poll(() => page.getByLabel('Signature (compact JWS, detached payload)').inputValue()).toMatch(
      /^eyJ/,
    );
    await page.getByRole('button', { name: 'Upload signature' }).click();
    await poll(() => page.locator('main').getAttribute('data-lifecycle')).toBe('RELEASE_CANDIDATE');
    const signatures = page.locator('table', { has: page.locator('caption', { hasText: 'Signatures' }) });
    await poll(() => signatures.locator('tbody tr td').nth(1).textContent()).toBe('oem-console');
    await page.getByRole('button', { name: 'Release' }).click();
    await poll(() => page.locator('main').getAttribute('data-lifecycle')).toBe('WAITING_FOR_APPROVAL');
    // the lifecycle buttons are drawn (demote is allowed and permitted) and approve is not among them
    const buttons = page.getByTestId('lifecycle-buttons');
    await buttons.getByRole('button', { name: 'Demote to draft' }).waitFor();
    expect(await buttons.getByRole('button').allTextContents()).toEqual(['Demote to draft', 'Validate']);
    await expectAccessible(page, 'recipe-waiting-for-approval');
    await screenshot(page, 'recipe-waiting-for-approval');
  }, 90_000);

  it('bob, an approver, approves; the gateway then updates live to success on its system page', async () => {
    await signOut(page);
    await signIn(page, rig.url, 'bob');
    await page.goto(`${rig.url}/console/#/recipes/${recipeId}`);
    await poll(() => page.locator('main').getAttribute('data-lifecycle')).toBe('WAITING_FOR_APPROVAL');
    const buttons = page.getByTestId('lifecycle-buttons');
    expect(await buttons.getByRole('button').allTextContents()).toEqual(['Approve']);
    await page.getByRole('navigation').getByRole('link', { name: 'Systems' }).click();
    await page.getByRole('link', { name: GATEWAY }).click();
    await page.getByRole('heading', { name: `System ${GATEWAY}` }).waitFor();
    // from here on the page is never reloaded: the marker survives, and the update view is observed
    await page.evaluate(`(() => {
      window.__consoleMarker = 'same document';
      window.__seen = [];
      const box = document.getElementById('current-update');
      const record = () => {
        for (const row of box.querySelectorAll('tbody tr')) {
          const cells = [...row.querySelectorAll('td')].map((td) => td.textContent);
          const bar = row.querySelector('progress');
          window.__seen.push({ module: cells[0], state: cells[2], value: bar ? bar.value : null, max: bar ? bar.max : null });
        }
        const outcome = box.querySelector('[data-testid=outcome]');
        if (outcome) window.__seen.push({ outcome: outcome.textContent });
      };
      new MutationObserver(record).observe(box, { childList: true, subtree: true });
    })()`);
    // approve in a second tab of the same session while this one watches
    const approver = await page.context().newPage();
    await signIn(approver, rig.url, 'bob');
    await approver.goto(`${rig.url}/console/#/recipes/${recipeId}`);
    await approver.getByRole('button', { name: 'Approve' }).click();
    await poll(() => approver.locator('main').getAttribute('data-lifecycle')).toBe('RELEASED');
    await approver.close();
    await poll(() => page.getByTestId('outcome').textContent(), { timeout: 120_000, interval: 500 }).toBe(
      'finished: success',
    );
    expect(await page.evaluate('window.__consoleMarker')).toBe('same document');
    expect(await page.evaluate('document.body.dataset.live')).toBe('connected');
    const seen = (await page.evaluate('window.__seen')) as {
      module?: string;
      state?: string;
      value?: number | null;
      max?: number | null;
      outcome?: string;
    }[];
    const outcomes = [...new Set(seen.flatMap((s) => (s.outcome ? [s.outcome] : [])))];
    expect(outcomes.length, JSON.stringify(outcomes)).toBeGreaterThan(2);
    expect(outcomes.at(-1)).toBe('finished: success');
    // each module's state was seen changing on the page (an earlier state, then committed), fully transferred
    for (const module of [GATEWAY, 'SN-5000-1']) {
      const states = seen.filter((x) => x.module === module).map((x) => x.state);
      const changes = states.filter((x, k) => k === 0 || x !== states[k - 1]);
      expect(changes.length, `${module}: ${changes.join(' → ')}`).toBeGreaterThan(1);
      expect(changes.at(-1)).toBe('committed');
    }
    const display = seen.filter((x) => x.module === 'SN-5000-1');
    expect(display.at(-1)?.value).toBe(display.at(-1)?.max);
    expect(display.at(-1)?.state).toBe('committed');
    await poll(() => page.locator('.facts').textContent()).toContain('in_sync');
    await expectAccessible(page, 'system');
    await screenshot(page, 'system');
    await screenshot(page, 'console', 1040);
  }, 180_000);

  it('explains why no recipe matches the system with an unknown module', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Systems' }).click();
    await page.getByRole('link', { name: LONELY }).click();
    await page.getByRole('heading', { name: `System ${LONELY}` }).waitFor();
    await poll(() => page.locator('section', { hasText: 'Recipe match' }).textContent()).toContain(
      'No recipe matches this system.',
    );
    const reasons = await page.locator('ul.reasons li').allTextContents();
    expect(reasons.join('\n')).toMatch(/console-fleet/);
    expect(reasons.join('\n')).toMatch(/scanner|SN-9999-1/);
    await expectAccessible(page, 'system-unmatched');
    await screenshot(page, 'system-unmatched');
  });

  it('shows the recipes with coverage icons and legend, and the fleet picture', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Recipes' }).click();
    const row = page.locator('tbody tr', { hasText: 'console-fleet 1.1.0' });
    await poll(() => row.locator('svg[data-coverage]').getAttribute('aria-label')).toBe('Coverage: Medium');
    await poll(() => row.textContent()).toContain('1 of 2');
    await page.getByText('Coverage legend').click();
    await expectAccessible(page, 'recipes');
    await screenshot(page, 'recipes');
    await page.getByRole('navigation').getByRole('link', { name: 'Fleet picture' }).click();
    const table = page.locator('table', {
      has: page.locator('caption', { hasText: 'Systems per released recipe' }),
    });
    await poll(() => table.locator('tbody tr td').allTextContents()).toEqual([
      'console-fleet 1.1.0',
      'RELEASED',
      '1',
      '1',
      '0',
      '0',
    ]);
    expect(await page.locator('svg.chart rect').count()).toBe(4);
    await expectAccessible(page, 'fleet');
    await screenshot(page, 'fleet');
  }, 60_000);

  it('offers Retry for a failed update only to a user who may, and retrying opens a new action', async () => {
    const RETRY = 'gw-console-retry';
    const gatewaySet = (
      await rig.admin.get<{ content: { id: number; name: string }[] }>('distributionsets?q=name==gateway-fw')
    ).content[0]!.id;
    const [recipe] = await rig.admin.post<Entity[]>('recipes', [
      {
        name: 'gateway-only',
        version: '1.1.0',
        modules: [
          {
            name: 'gateway',
            match: 'attributes.module-id==gw',
            count: 'count==1',
            distributionSetId: gatewaySet,
            metadata: { imageType: 'rawfile' },
          },
        ],
      },
    ]);
    await rig.admin.post(`recipes/${recipe!.id}/promote`);
    await rig.admin.post(`recipes/${recipe!.id}/signatures`, {
      format: 'jws',
      value: readFileSync(await rig.sign(recipe!.id), 'utf8'),
    });
    await rig.admin.post(`recipes/${recipe!.id}/release`);
    await rig.admin.post(`recipes/${recipe!.id}/approve`);
    // a gateway spoken for over HTTP: its report matches, its update fails
    await rig.admin.post('targets', [{ controllerId: RETRY, securityToken: 'console-retry-token-5b1e' }]);
    const install = (path: string, method: string, body: unknown) =>
      fetch(`${rig.url}/DEFAULT/controller/v1/${RETRY}/${path}`, {
        method,
        headers: {
          authorization: 'TargetToken console-retry-token-5b1e',
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
    const report = await install('systemReport', 'PUT', {
      timestamp: new Date().toISOString(),
      gatewayId: RETRY,
      modules: [
        {
          id: RETRY,
          type: 'gateway',
          name: 'gateway',
          attributes: { 'module-id': 'gw', swVersion: '1.0.0' },
        },
      ],
    });
    expect(report.status).toBe(204);
    const actions = () =>
      rig.admin
        .get<{ content: { id: number; status: string }[] }>(`systems/${RETRY}/actions`)
        .then((a) => a.content);
    const [first] = await actions();
    expect(first?.status).toBe('open');
    const failed = await install(`systemUpdate/${first!.id}/feedback`, 'POST', {
      feedbackId: 'console-retry-failure-1',
      timestamp: Date.now(),
      status: { execution: 'closed', result: { finished: 'failure' }, details: ['gateway: no space left'] },
    });
    expect(failed.status).toBe(200);
    // bob (APPROVER) sees the failure but no Retry
    await page.goto(`${rig.url}/console/#/systems/${RETRY}`);
    await poll(() => page.locator('.facts').textContent()).toContain('error');
    await page.getByTestId('outcome').waitFor();
    expect(await page.getByRole('button', { name: 'Retry the update' }).count()).toBe(0);
    await signOut(page);
    await signIn(page, rig.url, 'alice');
    await page.goto(`${rig.url}/console/#/systems/${RETRY}`);
    await page.getByRole('button', { name: 'Retry the update' }).click();
    await poll(async () => (await actions()).length).toBe(2);
    const [second] = await actions();
    expect(second?.status).toBe('open');
    await poll(() => page.locator('#current-update .progress-view').getAttribute('data-action')).toBe(
      String(second!.id),
    );
    await poll(() => page.getByTestId('outcome').textContent()).toBe('waiting for the gateway');
    await poll(() => page.getByRole('button', { name: 'Retry the update' }).count()).toBe(0);
  }, 90_000);

  it('is usable from the keyboard: skip link, navigation, a disclosure', async () => {
    await page.goto('about:blank');
    await page.goto(`${rig.url}/console/#/systems`);
    await page.getByRole('heading', { name: 'Systems' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement.id')).toBe('main');
    // back to the top: Shift+Tab from main reaches the user's Sign out button, then the navigation
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Sign out');
    for (let i = 0; i < 3; i++) await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Recipes');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Recipes', level: 1 }).waitFor();
    // focus moved to the new page's heading; the legend opens with the keyboard
    await poll(() => page.evaluate('document.activeElement.tagName')).toBe('H1');
    const legend = page.locator('details.legend');
    const wasOpen = (await legend.getAttribute('open')) !== null;
    await page.locator('details.legend summary').focus();
    await page.keyboard.press('Enter');
    await poll(async () => (await legend.getAttribute('open')) !== null).toBe(!wasOpen);
  });

  it('fits a tablet-sized screen: no horizontal scrolling of the page', async () => {
    const { context, page: tablet } = await rig.page({ width: 768, height: 1024 });
    await signIn(tablet, rig.url, 'bob');
    for (const [hash, title, name] of [
      ['#/systems', 'Systems', 'tablet-systems'],
      [`#/recipes/${recipeId}`, 'Recipe', 'tablet-recipe'],
      ['#/fleet', 'Fleet picture', 'tablet-fleet'],
    ] as const) {
      await tablet.goto(`${rig.url}/console/${hash}`);
      await poll(() => tablet.locator('main').getAttribute('data-page')).toBe(title);
      expect(await tablet.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(768);
      await expectAccessible(tablet, name);
      await screenshot(tablet, name);
    }
    await context.close();
  }, 60_000);
});
