/** OAuth2 access tokens, stored by their SHA-256 only. */
import type { Database } from './sqlite.js';

export interface TokenRow {
  client_id: string;
  scope: string;
  expires_at: number;
}

export function findToken(db: Database, tokenHash: string): TokenRow | undefined {
  return db
    .prepare('SELECT client_id, scope, expires_at FROM oauth_tokens WHERE token_hash = ?')
    .get(tokenHash) as TokenRow | undefined;
}

/** Removes the expired tokens, then stores the new one. */
export function storeToken(db: Database, tokenHash: string, t: TokenRow, now: number): void {
  db.prepare('DELETE FROM oauth_tokens WHERE expires_at <= ?').run(now);
  db.prepare('INSERT INTO oauth_tokens (token_hash, client_id, scope, expires_at) VALUES (?, ?, ?, ?)').run(
    tokenHash,
    t.client_id,
    t.scope,
    t.expires_at,
  );
}
