/** Management API roles (`management-api.md`, "Roles"). ADMIN may everything; every role may READ. */
export const ROLES = ['READ', 'MODULE_RESPONSIBLE', 'SYSTEM_RESPONSIBLE', 'APPROVER', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

/** Does a user holding `held` have the permission `needed`? */
export function allows(held: readonly Role[], needed: Role): boolean {
  if (held.includes('ADMIN')) return true;
  if (needed === 'READ') return held.length > 0;
  return held.includes(needed);
}
