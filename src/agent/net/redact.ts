/**
 * URLs and foreign text for messages, logs and `status` (`install-api.md`: never a query string or
 * credentials). Owner: agent-net.
 */

/** The URL without its user info, query and fragment (any scheme: `mqtt://user:pw@host` too). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
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

/**
 * Text from elsewhere (a server's error message, a library's error) made fit for one line of a message
 * or a log: every URL in it redacted, credentials after an auth scheme and PEM private keys removed,
 * control characters turned into spaces.
 */
export function redactText(text: string): string {
  return redactSecrets(text).replace(CONTROL, ' ');
}

/** `redactText` keeping the line breaks (log fields such as a stack trace). */
export function redactSecrets(text: string): string {
  return text
    .replace(PEM_PRIVATE, '[redacted private key]')
    .replace(URL_IN_TEXT, (u) => redactUrl(u))
    .replace(AUTH_IN_TEXT, '$1 [redacted]');
}
