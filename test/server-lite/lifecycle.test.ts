/** The recipe lifecycle table, cell by cell, against the transitions written out in `management-api.md`. */
import { describe, expect, it } from 'vitest';
import {
  acceptsSignatures,
  allowedFrom,
  isDeletable,
  isEditable,
  LIFECYCLES,
  type Lifecycle,
  type LifecycleEvent,
  step,
  visibleTo,
} from '../../src/server-lite/domain/lifecycle.js';

// Every allowed (state, event) → next state; every other cell must be refused.
const EXPECTED: Record<Lifecycle, Partial<Record<LifecycleEvent, Lifecycle>>> = {
  DRAFT: { promote: 'WAITING_FOR_SIGNATURE' },
  WAITING_FOR_SIGNATURE: { sign: 'RELEASE_CANDIDATE', demote: 'DRAFT' },
  RELEASE_CANDIDATE: { release: 'WAITING_FOR_APPROVAL', demote: 'DRAFT' },
  WAITING_FOR_APPROVAL: { approve: 'RELEASED', demote: 'DRAFT' },
  RELEASED: { deactivate: 'INACTIVE', revoke: 'REVOKED' },
  INACTIVE: { revoke: 'REVOKED', approve: 'RELEASED' },
  REVOKED: { approve: 'RELEASED' },
};
const EVENTS: LifecycleEvent[] = ['promote', 'sign', 'demote', 'release', 'approve', 'deactivate', 'revoke'];

describe('recipe lifecycle table', () => {
  for (const state of LIFECYCLES) {
    for (const event of EVENTS) {
      const to = EXPECTED[state][event];
      it(`${state} --${event}--> ${to ?? 'refused'}`, () => {
        const s = step(state, event);
        if (to) expect(s).toEqual({ ok: true, to });
        else {
          expect(s.ok).toBe(false);
          const allowed = Object.keys(EXPECTED[state]).filter((e) => e !== 'sign');
          expect(s.ok === false && [...s.allowed].sort()).toEqual(allowed.sort());
        }
      });
    }
  }

  it('allowedFrom names only endpoint transitions (sign is automatic)', () => {
    expect(allowedFrom('WAITING_FOR_SIGNATURE')).toEqual(['demote']);
    expect(allowedFrom('REVOKED')).toEqual(['approve']);
  });

  it('content is editable only in DRAFT; deletable in DRAFT, REVOKED, INACTIVE', () => {
    expect(LIFECYCLES.filter(isEditable)).toEqual(['DRAFT']);
    expect(LIFECYCLES.filter(isDeletable)).toEqual(['DRAFT', 'INACTIVE', 'REVOKED']);
  });

  it('signatures are accepted from WAITING_FOR_SIGNATURE through INACTIVE', () => {
    expect(LIFECYCLES.filter(acceptsSignatures)).toEqual([
      'WAITING_FOR_SIGNATURE',
      'RELEASE_CANDIDATE',
      'WAITING_FOR_APPROVAL',
      'RELEASED',
      'INACTIVE',
    ]);
  });

  it('Install API exposure: RC/WFA to testing, RELEASED/INACTIVE to all, never DRAFT/WFS/REVOKED', () => {
    expect(LIFECYCLES.filter((s) => visibleTo(s, 'production'))).toEqual(['RELEASED', 'INACTIVE']);
    expect(LIFECYCLES.filter((s) => visibleTo(s, 'testing'))).toEqual([
      'RELEASE_CANDIDATE',
      'WAITING_FOR_APPROVAL',
      'RELEASED',
      'INACTIVE',
    ]);
  });
});
