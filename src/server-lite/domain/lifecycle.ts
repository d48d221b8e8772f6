/**
 * The recipe lifecycle of 002 as data (`management-api.md`, "Recipes"): one table of transitions, pure.
 *
 *   DRAFT ─promote→ WAITING_FOR_SIGNATURE ─(signature)→ RELEASE_CANDIDATE ─release→ WAITING_FOR_APPROVAL
 *   WAITING_FOR_APPROVAL ─approve→ RELEASED ─deactivate→ INACTIVE;  RELEASED|INACTIVE ─revoke→ REVOKED
 *   INACTIVE|REVOKED ─approve→ RELEASED;  WAITING_FOR_SIGNATURE|RELEASE_CANDIDATE|WAITING_FOR_APPROVAL ─demote→ DRAFT
 */
import type { Role } from './roles.js';

export const LIFECYCLES = [
  'DRAFT', // initial: editable, deletable, not on the Install API
  'WAITING_FOR_SIGNATURE', // recipe file generated and frozen, waiting for a signature
  'RELEASE_CANDIDATE', // signed: served to `testing` systems
  'WAITING_FOR_APPROVAL', // verified, waiting for an approver: served to `testing` systems
  'RELEASED', // served to every system
  'INACTIVE', // superseded but still valid: served to every system, deletable
  'REVOKED', // must not be used: never served, open actions cancelled, deletable
] as const;
export type Lifecycle = (typeof LIFECYCLES)[number];

export const TRANSITIONS = ['promote', 'demote', 'release', 'approve', 'deactivate', 'revoke'] as const;
export type Transition = (typeof TRANSITIONS)[number];

/** `sign` is the automatic move on the first signature upload; it has no endpoint of its own. */
export type LifecycleEvent = Transition | 'sign';

interface Edge {
  from: readonly Lifecycle[];
  to: Lifecycle;
  role: Role;
}

export const LIFECYCLE_TABLE: Readonly<Record<LifecycleEvent, Edge>> = {
  promote: { from: ['DRAFT'], to: 'WAITING_FOR_SIGNATURE', role: 'SYSTEM_RESPONSIBLE' },
  sign: { from: ['WAITING_FOR_SIGNATURE'], to: 'RELEASE_CANDIDATE', role: 'SYSTEM_RESPONSIBLE' },
  release: { from: ['RELEASE_CANDIDATE'], to: 'WAITING_FOR_APPROVAL', role: 'SYSTEM_RESPONSIBLE' },
  approve: { from: ['WAITING_FOR_APPROVAL', 'INACTIVE', 'REVOKED'], to: 'RELEASED', role: 'APPROVER' },
  deactivate: { from: ['RELEASED'], to: 'INACTIVE', role: 'SYSTEM_RESPONSIBLE' },
  revoke: { from: ['RELEASED', 'INACTIVE'], to: 'REVOKED', role: 'SYSTEM_RESPONSIBLE' },
  demote: {
    from: ['WAITING_FOR_SIGNATURE', 'RELEASE_CANDIDATE', 'WAITING_FOR_APPROVAL'],
    to: 'DRAFT',
    role: 'SYSTEM_RESPONSIBLE',
  },
};

export type Step = { ok: true; to: Lifecycle } | { ok: false; allowed: Transition[] };

/** The transitions a recipe in `state` allows. */
export function allowedFrom(state: Lifecycle): Transition[] {
  return TRANSITIONS.filter((t) => LIFECYCLE_TABLE[t].from.includes(state));
}

export function step(state: Lifecycle, event: LifecycleEvent): Step {
  const edge = LIFECYCLE_TABLE[event];
  return edge.from.includes(state) ? { ok: true, to: edge.to } : { ok: false, allowed: allowedFrom(state) };
}

/** Content (everything but tags) is editable only in DRAFT. */
export const isEditable = (state: Lifecycle): boolean => state === 'DRAFT';

/** DELETE only in DRAFT, REVOKED, INACTIVE (and only for ADMIN). */
export const isDeletable = (state: Lifecycle): boolean =>
  state === 'DRAFT' || state === 'REVOKED' || state === 'INACTIVE';

/** Signatures may be uploaded from WAITING_FOR_SIGNATURE through INACTIVE. */
export const acceptsSignatures = (state: Lifecycle): boolean =>
  state === 'WAITING_FOR_SIGNATURE' ||
  state === 'RELEASE_CANDIDATE' ||
  state === 'WAITING_FOR_APPROVAL' ||
  state === 'RELEASED' ||
  state === 'INACTIVE';

/** The recipe file exists from WAITING_FOR_SIGNATURE on. */
export const hasFile = (state: Lifecycle): boolean => state !== 'DRAFT';

export type Scope = 'production' | 'testing';

/** Install API exposure: RC and WFA to `testing` systems, RELEASED and INACTIVE to all, REVOKED never. */
export function visibleTo(state: Lifecycle, scope: Scope): boolean {
  switch (state) {
    case 'RELEASED':
    case 'INACTIVE':
      return true;
    case 'RELEASE_CANDIDATE':
    case 'WAITING_FOR_APPROVAL':
      return scope === 'testing';
    case 'DRAFT':
    case 'WAITING_FOR_SIGNATURE':
    case 'REVOKED':
      return false;
    default: {
      const never: never = state;
      return never;
    }
  }
}

/** Match candidates are exactly the recipes visible to the system's scope. */
export const isCandidate = visibleTo;

/** Release-candidate states, shown as `matchedReleaseCandidateRecipe`. */
export const isReleaseCandidate = (state: Lifecycle): boolean =>
  state === 'RELEASE_CANDIDATE' || state === 'WAITING_FOR_APPROVAL';
