/**
 * Who is signed in: the console keeps the user's HTTP Basic credentials for this browser tab only
 * (sessionStorage; no cookie, so no request is ever sent on the user's behalf by another site), and
 * what server-lite says the user may do (`/console/api/me`).
 */
export type Role = 'READ' | 'MODULE_RESPONSIBLE' | 'SYSTEM_RESPONSIBLE' | 'APPROVER' | 'ADMIN';
export type Transition = 'promote' | 'demote' | 'release' | 'approve' | 'deactivate' | 'revoke';

export interface Me {
  name: string;
  roles: Role[];
  grants: Record<Role, boolean>;
  transitions: Record<Transition, boolean>;
}

const KEY = 'soup-console-authorization';
let me: Me | null = null;

export function authorization(): string | null {
  return sessionStorage.getItem(KEY);
}

export function currentUser(): Me {
  if (!me) throw new Error('not signed in');
  return me;
}

export const may = (role: Role): boolean => me?.grants[role] === true;

/** Asks server-lite who the credentials belong to; null when they are not valid. */
async function whoIs(auth: string): Promise<Me | null | 'unreachable'> {
  let res: Response;
  try {
    res = await fetch('/console/api/me', { headers: { authorization: auth }, cache: 'no-store' });
  } catch {
    return 'unreachable';
  }
  if (res.status === 401) return null;
  if (!res.ok) return 'unreachable';
  return (await res.json()) as Me;
}

export async function signIn(name: string, password: string): Promise<string | null> {
  const bytes = new TextEncoder().encode(`${name}:${password}`);
  const auth = `Basic ${btoa(String.fromCharCode(...bytes))}`;
  const who = await whoIs(auth);
  if (who === 'unreachable') return 'server-lite cannot be reached';
  if (who === null) return 'Wrong user name or password.';
  sessionStorage.setItem(KEY, auth);
  me = who;
  return null;
}

/** The user of a stored session, if its credentials are still valid. */
export async function resume(): Promise<Me | null> {
  const auth = authorization();
  if (!auth) return null;
  const who = await whoIs(auth);
  if (who === null || who === 'unreachable') {
    if (who === null) sessionStorage.removeItem(KEY);
    return null;
  }
  me = who;
  return me;
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  me = null;
}
