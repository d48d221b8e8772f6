/**
 * Authentication to the Install API (`install-api.md`): TargetToken, GatewayToken, OAuth2 client
 * credentials (token cached, renewed before expiry and on 401), TLS client certificates.
 *
 * OAuth2: `POST tokenUrl` with a form body `grant_type=client_credentials[&scope=…]`, the client id and
 * secret in HTTP Basic (`clientAuth: 'basic'`, the default, RFC 6749 §2.3.1) or in the form (`'form'`).
 * The token is kept until `renewBeforeMs` before `expires_in` runs out (no `expires_in`: until a 401);
 * concurrent callers share one token request. TLS material (`cert`, `key`, `ca`) are file paths, read once.
 */
import { readFileSync } from 'node:fs';
import { type Clock, systemClock } from '../../lib/clock.js';
import { SoupError } from '../../lib/errors.js';
import { requestStream, type StreamResponse } from '../../lib/http/request.js';
import { createTransport, defaultTransport, type Transport } from '../../lib/http/transport.js';
import { redactText, redactUrl } from './redact.js';

/** Largest token endpoint answer read (a JSON document: `install-api.md`'s 1 MiB). */
const MAX_TOKEN_ANSWER = 1024 * 1024;

export interface TlsFiles {
  cert?: string;
  key?: string;
  ca?: string;
}

export interface OAuth2Config {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  /** How the client credentials travel: HTTP Basic (default) or form fields. */
  clientAuth?: 'basic' | 'form';
}

export type ServerAuthConfig =
  | ({ targetToken: string } & TlsFiles)
  | ({ gatewayToken: string } & TlsFiles)
  | ({ oauth2: OAuth2Config } & TlsFiles)
  | { cert: string; key: string; ca?: string };

export interface AuthProvider {
  /** Headers for the next request (`Authorization: …`), fetching/renewing an OAuth2 token when due. */
  headers(): Promise<Record<string, string>>;
  /** Called after a 401: drops a cached token; true when a retry with fresh credentials makes sense. */
  unauthorized(): Promise<boolean>;
  /** Connections carrying the TLS client certificate / CA, when configured (else the default transport). */
  readonly transport: Transport | undefined;
}

export interface AuthOptions {
  clock?: Clock;
  /** Renew an OAuth2 token this long before it expires (default: 30 s, at most a tenth of its lifetime). */
  renewBeforeMs?: number;
  /** Give up on the token endpoint after this long (default 30 s). */
  timeoutMs?: number;
}

function readTls(files: TlsFiles): Transport | undefined {
  if (files.cert === undefined && files.key === undefined && files.ca === undefined) return undefined;
  if ((files.cert === undefined) !== (files.key === undefined)) {
    throw new SoupError(
      'SOUP_E_CONFIG',
      `server.auth: cert and key go together (got only ${files.cert ? 'cert' : 'key'})`,
    );
  }
  const read = (key: keyof TlsFiles): Buffer | undefined => {
    const path = files[key];
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new SoupError('SOUP_E_CONFIG', `server.auth.${key}: cannot read ${path} (${code})`, {
        cause: err,
      });
    }
  };
  const cert = read('cert');
  const key = read('key');
  const ca = read('ca');
  return createTransport({ ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(ca ? { ca } : {}) });
}

function staticAuth(header: string | undefined, transport: Transport | undefined): AuthProvider {
  const headers: Record<string, string> = header === undefined ? {} : { authorization: header };
  return {
    headers: async () => ({ ...headers }),
    // A fixed token or certificate does not get better by asking again.
    unauthorized: async () => false,
    transport,
  };
}

export function createAuth(config: ServerAuthConfig, options: AuthOptions = {}): AuthProvider {
  const transport = readTls(config);
  if ('targetToken' in config) return staticAuth(`TargetToken ${config.targetToken}`, transport);
  if ('gatewayToken' in config) return staticAuth(`GatewayToken ${config.gatewayToken}`, transport);
  if ('oauth2' in config) return new OAuth2Auth(config.oauth2, transport, options);
  return staticAuth(undefined, transport);
}

interface CachedToken {
  value: string;
  /** Clock time after which the token is renewed; Infinity when the server gave no `expires_in`. */
  renewAt: number;
}

class OAuth2Auth implements AuthProvider {
  private token: CachedToken | undefined;
  private inFlight: Promise<CachedToken> | undefined;
  private readonly clock: Clock;

  constructor(
    private readonly config: OAuth2Config,
    readonly transport: Transport | undefined,
    private readonly options: AuthOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    try {
      new URL(config.tokenUrl);
    } catch {
      throw new SoupError(
        'SOUP_E_CONFIG',
        `server.auth.oauth2.tokenUrl: not a URL: ${JSON.stringify(config.tokenUrl)}`,
      );
    }
  }

  async headers(): Promise<Record<string, string>> {
    const token = await this.current();
    return { authorization: `Bearer ${token.value}` };
  }

  async unauthorized(): Promise<boolean> {
    // A request already renewing the token will bring a fresh one; otherwise drop what we hold.
    if (this.inFlight === undefined) this.token = undefined;
    return true;
  }

  private current(): Promise<CachedToken> {
    if (this.token !== undefined && this.clock.now() < this.token.renewAt) return Promise.resolve(this.token);
    if (this.inFlight === undefined) {
      this.inFlight = this.fetchToken().then(
        (token) => {
          this.token = token;
          this.inFlight = undefined;
          return token;
        },
        (err: unknown) => {
          this.inFlight = undefined;
          throw err;
        },
      );
    }
    return this.inFlight;
  }

  private async fetchToken(): Promise<CachedToken> {
    const { tokenUrl, clientId, clientSecret, scope } = this.config;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope !== undefined) form.set('scope', scope);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if ((this.config.clientAuth ?? 'basic') === 'basic') {
      const pair = `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    }
    const where = redactUrl(tokenUrl);
    const started = this.clock.now();
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    const unreachable = (err: unknown) =>
      new SoupError('SOUP_E_AUTH', `oauth2: token endpoint ${where} unreachable: ${errorText(err)}`, {
        retryable: true,
        cause: err,
      });
    let res: StreamResponse;
    try {
      res = await requestStream(this.transport ?? defaultTransport(), {
        url: tokenUrl,
        method: 'POST',
        headers,
        body: form.toString(),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (err) {
      throw unreachable(err);
    }
    const answer = await res.bytes(MAX_TOKEN_ANSWER).catch((err: unknown) => {
      throw unreachable(err);
    });
    if (answer === undefined) {
      throw new SoupError(
        'SOUP_E_AUTH',
        `oauth2: token endpoint ${where} answered more than ${MAX_TOKEN_ANSWER} bytes`,
        { retryable: true },
      );
    }
    const text = answer.toString('utf8');
    if (res.statusCode !== 200) {
      throw new SoupError('SOUP_E_AUTH', `oauth2: token endpoint ${where} answered ${res.statusCode}`, {
        retryable: res.statusCode >= 500 || res.statusCode === 429,
        detail: { status: res.statusCode },
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new SoupError('SOUP_E_AUTH', `oauth2: token endpoint ${where} answered a body that is not JSON`);
    }
    const {
      access_token: value,
      expires_in: expiresIn,
      token_type: type,
    } = (body ?? {}) as Record<string, unknown>;
    if (typeof value !== 'string' || value === '') {
      throw new SoupError('SOUP_E_AUTH', `oauth2: token endpoint ${where} answered no access_token`);
    }
    if (type !== undefined && (typeof type !== 'string' || type.toLowerCase() !== 'bearer')) {
      throw new SoupError('SOUP_E_AUTH', `oauth2: token_type ${JSON.stringify(type)} is not Bearer`);
    }
    const lifetimeMs = typeof expiresIn === 'number' ? expiresIn * 1000 : Number(expiresIn) * 1000;
    if (!Number.isFinite(lifetimeMs) || lifetimeMs <= 0) return { value, renewAt: Number.POSITIVE_INFINITY };
    const margin = this.options.renewBeforeMs ?? Math.min(30_000, lifetimeMs / 10);
    return { value, renewAt: started + lifetimeMs - margin };
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code ? `${code}` : redactText(err.message);
  }
  return redactText(String(err));
}
