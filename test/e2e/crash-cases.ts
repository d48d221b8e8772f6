/**
 * SIGKILL of the agent process during an update, then a restart: the update completes, the installed
 * bytes are the new image, and server-lite records each feedbackId once. For each phase the agent is
 * killed as soon as server-lite shows that phase (the agent may be a little further by then: the
 * kill lands in that step or a later one). Pre/postinstall scripts sleep a little to widen their window.
 * The phases are split over two test files (`crash-*.test.ts`) so that two workers share them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2e, image, sha256 } from './harness.js';

export const PHASES = [
  'downloading',
  'preinstall',
  'transferring',
  'verifying-target',
  'committing',
  'postinstall',
  'reporting',
];

export function crashSuite(phases: string[]): void {
  describe('e2e: SIGKILL at each step, then restart', () => {
    const e = new E2e();
    let config: string;
    let scripts: number;

    beforeAll(async () => {
      await e.start();
      config = e.agentConfig();
      const script = Buffer.from(
        '#!/bin/sh\nsleep 0.5\necho "$SOUP_PHASE of $SOUP_ACTION_ID" >> "$SOUP_DATA_DIR/scripts.log"\n',
      );
      writeFileSync(join(e.dir, 'hook.sh'), script);
      scripts = await e.imageSet('hooks', '1.0.0', script, 'shellscript', 'scripts');
    }, 60_000);
    afterAll(async () => {
      await e.stop();
    });

    for (const phase of phases) {
      const i = PHASES.indexOf(phase);
      it(`killed in ${phase}: the restarted agent completes the update`, async () => {
        const version = `${i + 2}.0.0`;
        const bytes = image(version, 4 * 1024 * 1024);
        const before = new Set((await e.actions()).map((a) => String(a.id)));
        await e.release({ version, image: bytes, scriptSet: scripts });
        const agent = e.startAgent(config);
        const open = await e.waitForAction(
          (a) => !before.has(String(a.id)) && a.feedback.some((f) => f.phase === phase),
          60_000,
        );
        await agent.kill();
        const killedAt = open.feedback.map((f) => f.phase);
        e.startAgent(config);
        const done = await e.waitForAction(
          (a) => String(a.id) === String(open.id) && a.status !== 'open',
          90_000,
        );
        expect(done.result, `killed after ${killedAt.join(' → ')}`).toBe('success');
        expect(sha256(e.installed())).toBe(sha256(bytes));
        const ids = done.feedback.map((f) => f.feedbackId);
        expect(ids.every((id) => typeof id === 'string')).toBe(true);
        expect(new Set(ids).size).toBe(ids.length);
        expect(done.feedback.filter((f) => f.status?.execution === 'closed')).toHaveLength(1);
        await e.agent?.stop();
      }, 180_000);
    }
  });
}
