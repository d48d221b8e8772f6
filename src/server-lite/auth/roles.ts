/** The Management API roles as the auth modules use them; defined with the rules in `domain/roles.ts`. */
export { allows, ROLES, type Role } from '../domain/roles.js';
