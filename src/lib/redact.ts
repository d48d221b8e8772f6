/**
 * Secrets out of text and structured data, for messages, logs and `status` (`install-api.md`: URLs never
 * carry their query string or credentials; `agent.md`: never a credential in logs, status or errors).
 *
 *   redactUrl(url)      the URL without user info, query and fragment (any scheme: `mqtt://u:pw@host`)
 *   redactSecrets(text) every URL in it redacted, the credential after an auth scheme (`TargetToken x`,
 *                       `Bearer x`) and PEM private keys removed
 *   redactText(text)    redactSecrets, and control characters turned into spaces (one line)
 *   redactValue(value)  a JSON value at any depth: a key that names a secret (password, token, secret,
 *                       authorization, cookie, private key, API key, credentials) has its value replaced,
 *                       every string goes through redactSecrets
 */

export const CENSOR = '[redacted]';

/** The URL without its user info, query and fragment. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === '' && u.password === '' && u.search === '' && u.hash === '' && !url.includes('?'))
      return url; // nothing to remove: as given
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;
const AUTH_IN_TEXT = /\b(TargetToken|GatewayToken|Bearer|Basic)\s+[^\s"',;]+/g;
const PEM_PRIVATE = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]+/g;
const SECRET_KEY =
  /(?:password|passwd|secret|token|authorization|cookie|private_?key|api_?key|credentials?)$/i;
const MAX_DEPTH = 32;

export function redactSecrets(text: string): string {
  return text
    .replace(PEM_PRIVATE, '[redacted private key]')
    .replace(URL_IN_TEXT, (u) => redactUrl(u))
    .replace(AUTH_IN_TEXT, `$1 ${CENSOR}`);
}

export function redactText(text: string): string {
  return redactSecrets(text).replace(CONTROL, ' ');
}

/** True for a key whose value is a secret (`targetToken`, `clientSecret`, `authorization`…). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSecretKey(k) && v !== null && v !== undefined && v !== '' ? CENSOR : redactValue(v, depth + 1);
  }
  return out;
}
