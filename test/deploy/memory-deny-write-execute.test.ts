/**
 * The unit sets MemoryDenyWriteExecute=yes, which holds only because the agent runs V8 without its JIT
 * (`--jitless` in the unit's NODE_OPTIONS). With the kernel enforcing the same rule (PR_SET_MDWE, inherited
 * by every child process): node with its JIT dies at start (the control), and `soup-agent demo` with the
 * unit's node options runs a whole update — server-lite, the agent, the SMP and UDS simulators — to success.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { unitNodeOptions } from '../helpers/unit-node-options.js';

const launcher = fileURLToPath(new URL('./mdwe-exec.py', import.meta.url));
const cli = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

function underMdwe(args: string[], nodeOptions: string) {
  return spawnSync('python3', [launcher, process.execPath, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: nodeOptions },
    timeout: 120_000,
  });
}

describe('MemoryDenyWriteExecute', () => {
  it('the unit runs node with --jitless', () => {
    expect(unitNodeOptions().split(/\s+/)).toContain('--jitless');
  });

  it('control: node with its JIT cannot start when write-or-execute is enforced', () => {
    const r = underMdwe(['-e', 'console.log("started")'], '');
    expect(r.status).not.toBe(77); // the kernel has it: a refusal would make this test meaningless
    expect(r.stdout).not.toContain('started');
    expect(r.status !== 0 || r.signal !== null).toBe(true);
  });

  it("a whole update (soup-agent demo) succeeds with the unit's node options", () => {
    const r = underMdwe([cli, 'demo'], unitNodeOptions());
    expect(r.stderr).not.toMatch(/Fatal error/);
    expect(r.stdout).toContain('The system update succeeded.');
    expect(r.status).toBe(0);
  }, 150_000);
});
