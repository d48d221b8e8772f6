/** The common fields of 003 (`createdBy, createdAt, lastModifiedBy, lastModifiedAt`, UTC milliseconds). */
export interface AuditRow {
  created_by: string;
  created_at: number;
  last_modified_by: string;
  last_modified_at: number;
}

/** Column values for an insert: created and modified by `who` at `now`. */
export function created(who: string, now: number): [string, number, string, number] {
  return [who, now, who, now];
}
