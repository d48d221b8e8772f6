/**
 * The atomic system update with real module protocols, after the point of no return: the UDS brake ECU
 * is flashed only after the revertible modules; a brake dropping off the bus resumes, one refusing its
 * flash for good rolls the update forward. Rig: `atomic-rig.ts`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAtomicRig } from './atomic-rig.js';
import type { Proc } from './processes.js';

describe('e2e: atomic system update over SMP and UDS simulators (after the point of no return)', () => {
  const { e, startSimulator, updateWith, endStates } = useAtomicRig();

  it('the brake drops off the bus in mid-flash (after the point of no return): the flash goes on from the last acknowledged block, everything commits, nothing reverts', async () => {
    const sim = (await startSimulator(e, [], 0, [
      { type: 'disconnect', atOffset: 16 * 1024, durationMs: 1500 },
    ])) as Proc & { dev: string };
    const { action } = await updateWith(sim, '2.5.0');
    expect(action.result).toBe('success');
    expect(endStates(action)).toEqual({
      [e.cid]: 'committed',
      'SN-5000-1': 'committed',
      'SN-778812': 'committed',
    });
    expect(action.feedback.some((f) => f.phase === 'reverting')).toBe(false);
    // the ECU did drop off: the flash went on from the last acknowledged block
    const resumed = readFileSync(join(e.logs, 'agent.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"msg":"resuming download"') && l.includes('"module":"brake"'));
    expect(resumed.length).toBeGreaterThan(0);
  }, 180_000);

  it('a brake that refuses its flash for good (after the point of no return): the update rolls forward, the revertible modules commit, the brake ends failed', async () => {
    const sim = (await startSimulator(e, [], 0, [
      { type: 'nrc', atOffset: 16 * 1024, nrc: 0x72, count: 1000 },
    ])) as Proc & { dev: string };
    const { action } = await updateWith(sim, '2.6.0');
    expect(action.result).toBe('failure');
    expect(endStates(action)).toEqual({
      [e.cid]: 'committed',
      'SN-5000-1': 'committed',
      'SN-778812': 'failed',
    });
    expect(action.feedback.some((f) => f.phase === 'reverting')).toBe(false);
    const brake = action.feedback.at(-1)?.modules?.find((m) => m.module === 'SN-778812');
    expect(brake?.details?.join(' ')).toMatch(/generalProgrammingFailure|0x72/);
  }, 180_000);
});
