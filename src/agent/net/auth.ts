/**
 * Authentication to the Install API (`install-api.md`): TargetToken, GatewayToken, OAuth2 client
 * credentials (token cached, renewed before expiry and on 401), TLS client certificates. Owner: agent-net.
 */
import type { Dispatcher } from 'undici';
import { notBuilt } from '../../lib/errors.js';

export type ServerAuthConfig =
  | { targetToken: string; cert?: string; key?: string; ca?: string }
  | { gatewayToken: string; cert?: string; key?: string; ca?: string }
  | { oauth2: { tokenUrl: string; clientId: string; clientSecret: string; scope?: string } }
  | { cert: string; key: string; ca?: string };

export interface AuthProvider {
  /** Headers for the next request (`Authorization: …`), fetching/renewing an OAuth2 token when due. */
  headers(): Promise<Record<string, string>>;
  /** Called after a 401: drops a cached token; true when a retry with fresh credentials makes sense. */
  unauthorized(): Promise<boolean>;
  /** undici dispatcher carrying the TLS client certificate / CA, when configured. */
  readonly dispatcher: Dispatcher | undefined;
}

export function createAuth(_config: ServerAuthConfig): AuthProvider {
  return notBuilt('Install API authentication');
}
