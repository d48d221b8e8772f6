import { describe, expect, it } from 'vitest';
import { FaultPlan } from '../../../src/simulate/uds/faults.js';

describe('simulated ECU fault triggers', () => {
  it('fires atRequest from the n-th request, count times', () => {
    const plan = new FaultPlan([{ type: 'nrc', atRequest: 3, count: 2, nrc: 0x72 }]);
    const fired = [1, 2, 3, 4, 5].map((n) => plan.onRequest({ requestNo: n })?.type ?? '-');
    expect(fired).toEqual(['-', '-', 'nrc', 'nrc', '-']);
  });

  it('fires atOffset only on the TransferData whose block reaches past the offset', () => {
    const plan = new FaultPlan([{ type: 'disconnect', atOffset: 5000 }]);
    expect(plan.onRequest({ requestNo: 1 })).toBeUndefined();
    expect(plan.onRequest({ requestNo: 2, reachesOffset: 4096 })).toBeUndefined();
    expect(plan.onRequest({ requestNo: 3, reachesOffset: 5000 })).toBeUndefined();
    expect(plan.onRequest({ requestNo: 4, reachesOffset: 5001 })?.type).toBe('disconnect');
    expect(plan.onRequest({ requestNo: 5, reachesOffset: 9000 })).toBeUndefined();
    expect(plan.fired).toEqual({ disconnect: 1 });
  });

  it('applies frame faults to the frames after the trigger; corrupt only hits consecutive frames', () => {
    const plan = new FaultPlan([
      { type: 'drop-frame', atRequest: 2, count: 2 },
      { type: 'corrupt-frame', atOffset: 100 },
    ]);
    expect(plan.onFrame(0, 0, false)).toBe('deliver'); // frames of request 1
    expect(plan.onFrame(1, 0, false)).toBe('drop'); // request 2 begins
    expect(plan.onFrame(1, 0, true)).toBe('drop');
    expect(plan.onFrame(1, 0, true)).toBe('deliver');
    expect(plan.onFrame(5, 100, false)).toBe('deliver');
    expect(plan.onFrame(5, 100, true)).toBe('corrupt');
    expect(plan.onFrame(5, 200, true)).toBe('deliver');
    // frame faults never fire as request faults
    expect(plan.onRequest({ requestNo: 9, reachesOffset: 9999 })).toBeUndefined();
  });

  it('refuses boot count times, from atRequest when given', () => {
    const plan = new FaultPlan([{ type: 'refuse-boot', atRequest: 10, count: 1 }]);
    expect(plan.refuseBoot(5)).toBe(false);
    expect(plan.onRequest({ requestNo: 11 })).toBeUndefined();
    expect(plan.refuseBoot(11)).toBe(true);
    expect(plan.refuseBoot(12)).toBe(false);
  });
});
