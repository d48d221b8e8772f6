/**
 * Secrets stay where they belong, end to end: server-lite and an agent process authenticated with a
 * TargetToken given only in its environment (`SOUP_AGENT_TARGET_TOKEN`), an MQTT URL with a password, a
 * pre/postinstall script that dumps its environment. After a full update to closed/success, neither the
 * agent's log (debug level), nor `status --json`, nor the scripts' environment holds the token, the MQTT
 * password or the signing key's private part — while the redacted forms of those URLs are there.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, E2e, image, sha256, TOKEN } from './harness.js';
import { startProc } from './processes.js';

const MQTT_PASSWORD = 'mqtt-pw-5150-secret';

async function closedPort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

describe('e2e secrets: an authenticated update leaves no credential in logs, status or scripts', () => {
  const e = new E2e();

  beforeAll(async () => {
    await e.start();
  }, 60_000);
  afterAll(async () => {
    await e.stop();
  });

  it('TargetToken from the environment, MQTT password, scripts dumping their environment', async () => {
    const script = Buffer.from('#!/bin/sh\nenv > "$SOUP_DATA_DIR/env-$SOUP_PHASE-$1.txt"\n');
    const scripts = await e.imageSet('hooks', '1.0.0', script, 'shellscript', 'scripts');
    const v2 = image('2.0.0');
    await e.release({ version: '2.0.0', image: v2, scriptSet: scripts });

    const config = e.agentConfig();
    const value = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown> & {
      server: { auth: Record<string, string> };
      dataDir: string;
    };
    // the real token only in the agent's environment; the file holds a placeholder it overrides
    value.server.auth = { targetToken: 'set-by-environment' };
    const port = await closedPort();
    value.mqtt = { url: `mqtt://soup:${MQTT_PASSWORD}@127.0.0.1:${port}` };
    writeFileSync(config, JSON.stringify(value));
    const logFile = join(e.logs, 'agent-secrets.log');
    const agent = startProc('agent', ['run', '-c', config], logFile, {
      SOUP_LOG_LEVEL: 'debug',
      SOUP_AGENT_TARGET_TOKEN: TOKEN,
    });
    e.processes.push(agent);
    e.agent = agent;

    const action = await e.waitForAction((a) => a.status !== 'open', 90_000);
    expect(action).toMatchObject({ status: 'finished', result: 'success' });
    expect(sha256(e.installed())).toBe(sha256(v2));
    const status = cli(['status', '--json', '-c', config]);
    expect(status.status, status.stderr).toBe(0);
    await agent.stop();

    const log = readFileSync(logFile, 'utf8');
    const envs = ['preinst', 'postinst'].map((arg) =>
      readFileSync(
        join(value.dataDir, `env-${arg === 'preinst' ? 'preinstall' : 'postinstall'}-${arg}.txt`),
        'utf8',
      ),
    );
    const privateJwk = JSON.parse(
      readFileSync(join(e.dir, 'keys', 'trusted', 'oem-e2e.private.jwk.json'), 'utf8'),
    ) as { d: string };
    // what was written is what we think it is: the update's log lines, the status, both scripts ran
    expect(log).toMatch(/"msg":"recipe file signature verified"/);
    expect(log).toContain(`mqtt://127.0.0.1:${port}`); // the broker URL was logged, redacted
    expect(JSON.parse(status.stdout)).toMatchObject({ installedRecipe: { version: '2.0.0' } });
    for (const env of envs) expect(env).toMatch(/^SOUP_ACTION_ID=\d+$/m);
    for (const [where, text] of [
      ['agent log', log],
      ['status --json', status.stdout],
      ['preinstall environment', envs[0] as string],
      ['postinstall environment', envs[1] as string],
    ] as const) {
      expect(text, where).not.toContain(TOKEN);
      expect(text, where).not.toContain(MQTT_PASSWORD);
      expect(text, where).not.toContain(privateJwk.d);
      expect(text, where).not.toMatch(/PRIVATE KEY/);
    }
    for (const env of envs) expect(env).not.toMatch(/^SOUP_AGENT_/m);
  }, 150_000);
});
