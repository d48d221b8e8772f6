/** URLs and foreign text for messages, logs and `status`: the project's one redaction (lib/redact.ts). */
export { redactSecrets, redactText, redactUrl } from '../../lib/redact.js';
