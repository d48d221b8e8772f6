import { describe, expect, it } from 'vitest';
import {
  INITIAL,
  type Limits,
  phaseOf,
  recover,
  STEPS,
  TRANSITIONS,
  transition,
  type UpdateEvent,
  type UpdateState,
} from '../../src/agent/machine.js';

const limits: Limits = { stepAttempts: 3, maxResumes: 2 };
const ok: UpdateEvent = { type: 'ok' };
const fail = (retryable = false): UpdateEvent => ({ type: 'fail', reason: 'boom', retryable });

function walk(events: UpdateEvent[], from: UpdateState = { ...INITIAL }): UpdateState[] {
  const out: UpdateState[] = [from];
  let s = from;
  for (const e of events) {
    const next = transition(s, e, limits);
    if (next === undefined) throw new Error(`not allowed: ${e.type} in ${s.step}`);
    out.push(next);
    s = next;
  }
  return out;
}

describe('update machine: transition table', () => {
  it('every step has a row, every target is a step or idle', () => {
    for (const step of STEPS) {
      const row = TRANSITIONS[step];
      expect(row, step).toBeDefined();
      for (const to of Object.values(row)) expect([...STEPS, 'idle']).toContain(to);
    }
  });

  it('the success path visits every step of agent.md in order (consent asked)', () => {
    const states = walk([
      ok,
      ok,
      { type: 'needs-consent' },
      ok,
      ok,
      ok,
      ok,
      ok,
      ok,
      ok,
      ok,
      ok,
      ok,
      ok,
      ok,
      ok,
    ]);
    expect(states.map((s) => s.step)).toEqual([
      'fetching',
      'verifying',
      'matching',
      'waiting-consent',
      'waiting-window',
      'downloading',
      'preinstall',
      'transfer-revertible',
      'activate-revertible',
      'verify-revertible',
      'transfer-forward',
      'activate-forward',
      'verify-forward',
      'committing',
      'postinstall',
      'reporting',
      'idle',
    ]);
    const reporting = states[states.length - 2];
    expect(reporting).toEqual({ step: 'reporting', attempt: 0, outcome: { result: 'success', details: [] } });
  });

  it('a rejection (signature, match, consent) goes to reporting with every reason', () => {
    for (const prefix of [[ok], [ok, ok], [ok, ok, { type: 'needs-consent' } as UpdateEvent]]) {
      const states = walk([...prefix, { type: 'reject', reasons: ['a', 'b'] }]);
      expect(states.at(-1)).toEqual({
        step: 'reporting',
        attempt: 0,
        outcome: { result: 'rejected', details: ['a', 'b'] },
      });
    }
  });

  it('retryable failures stay in the step up to the attempt limit, then fail', () => {
    const s1 = transition({ step: 'downloading', attempt: 0 }, fail(true), limits);
    expect(s1).toEqual({ step: 'downloading', attempt: 1 });
    const s2 = transition(s1!, fail(true), limits);
    expect(s2).toEqual({ step: 'downloading', attempt: 2 });
    const s3 = transition(s2!, fail(true), limits);
    expect(s3).toEqual({ step: 'reporting', attempt: 0, outcome: { result: 'failure', details: ['boom'] } });
  });

  it('a failure before the point of no return reverts; the revert outcome is reported', () => {
    for (const step of ['transfer-revertible', 'activate-revertible', 'verify-revertible'] as const) {
      const r = transition({ step, attempt: 0 }, fail(), limits);
      expect(r).toEqual({ step: 'reverting', attempt: 0, outcome: { result: 'failure', details: ['boom'] } });
      expect(transition(r!, ok, limits)).toEqual({
        step: 'reporting',
        attempt: 0,
        outcome: { result: 'failure', details: ['boom'] },
      });
      const rf = transition(r!, { type: 'fail', reason: 'disk gone', retryable: false }, limits);
      expect(rf).toEqual({
        step: 'reporting',
        attempt: 0,
        outcome: { result: 'failure', details: ['boom', 'revert failed: disk gone'] },
      });
    }
  });

  it('from the point of no return a failure rolls forward through committing', () => {
    for (const step of ['transfer-forward', 'activate-forward', 'verify-forward'] as const) {
      const c = transition({ step, attempt: 0 }, fail(), limits);
      expect(c).toEqual({ step: 'committing', attempt: 0, failure: ['boom'] });
    }
    expect(transition({ step: 'verify-forward', attempt: 0 }, ok, limits)).toEqual({
      step: 'committing',
      attempt: 0,
      failure: [],
    });
  });

  it('cancel: accepted before the point of no return (reverting what was touched), refused after', () => {
    expect(transition({ step: 'downloading', attempt: 0 }, { type: 'cancel' }, limits)).toMatchObject({
      step: 'reporting',
      outcome: { result: 'canceled' },
    });
    expect(transition({ step: 'activate-revertible', attempt: 0 }, { type: 'cancel' }, limits)).toMatchObject(
      {
        step: 'reverting',
        outcome: { result: 'canceled' },
      },
    );
    for (const step of ['transfer-forward', 'activate-forward', 'verify-forward', 'postinstall'] as const) {
      expect(transition({ step, attempt: 0 }, { type: 'cancel' }, limits)).toBeUndefined();
    }
    expect(
      transition({ step: 'committing', attempt: 0, failure: [] }, { type: 'cancel' }, limits),
    ).toBeUndefined();
  });

  it('events a step does not know are refused (no silent jump)', () => {
    expect(
      transition({ step: 'downloading', attempt: 0 }, { type: 'reject', reasons: ['x'] }, limits),
    ).toBeUndefined();
    expect(transition({ step: 'idle' }, ok, limits)).toBeUndefined();
  });

  it('phases are the shared vocabulary', () => {
    expect(phaseOf({ step: 'transfer-forward', attempt: 0 })).toBe('transferring');
    expect(phaseOf({ step: 'verify-revertible', attempt: 0 })).toBe('verifying-target');
    expect(phaseOf({ step: 'activate-forward', attempt: 0 })).toBe('activating');
  });
});

describe('update machine: recovery on start', () => {
  it('checks restart from fetching; every later step resumes where it was', () => {
    for (const step of ['fetching', 'verifying', 'matching'] as const) {
      expect(recover({ step, attempt: 1 }, 1, limits)).toEqual({ step: 'fetching', attempt: 0 });
    }
    for (const step of STEPS.filter(
      (s) => !['fetching', 'verifying', 'matching', 'committing', 'reverting', 'reporting'].includes(s),
    )) {
      const s = { step, attempt: 0 } as UpdateState;
      expect(recover(s, 1, limits)).toEqual(s);
    }
    const c: UpdateState = { step: 'committing', attempt: 0, failure: [] };
    expect(recover(c, 2, limits)).toEqual(c);
  });

  it('a crash loop is capped: too many starts in a step count as its failure', () => {
    expect(recover({ step: 'transfer-revertible', attempt: 0 }, 3, limits)).toMatchObject({
      step: 'reverting',
      outcome: { result: 'failure' },
    });
    expect(recover({ step: 'transfer-forward', attempt: 0 }, 3, limits)).toMatchObject({
      step: 'committing',
    });
    expect(recover({ step: 'downloading', attempt: 0 }, 3, limits)).toMatchObject({
      step: 'reporting',
      outcome: { result: 'failure' },
    });
    expect(
      recover({ step: 'reporting', attempt: 0, outcome: { result: 'success', details: [] } }, 3, limits),
    ).toEqual({ step: 'idle' });
  });
});
