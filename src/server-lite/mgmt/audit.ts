/** The common fields of 003 in their Management API form. */
import type { AuditRow } from '../store/audit.js';

export function auditOf(row: AuditRow) {
  return {
    createdBy: row.created_by,
    createdAt: row.created_at,
    lastModifiedBy: row.last_modified_by,
    lastModifiedAt: row.last_modified_at,
  };
}
