/**
 * Shapes of the messages the local API receives, checked before anything acts on them (validators
 * generated at build time from mqtt/message-schemas.ts).
 */
import * as generated from '../../generated/mqtt-messages.js';
import { type Validator, validatorOf } from '../../lib/validator.js';

export interface ConsentRequest {
  actionId: string;
  recipe: { id: string; name: string; version: string };
  releaseNotes: string[];
  licenses: string[];
  /** UTC milliseconds after which the request lapses. */
  deadline?: number;
}

export interface ConsentResponse {
  actionId: string;
  decision: 'accept' | 'deny';
  by: string;
}

export type LocalCommand = { command: 'check' } | { command: 'install'; bundle: string };

const validateConsentResponse = validatorOf<ConsentResponse>(generated.consentResponse);
const validateCommand = validatorOf<LocalCommand>(generated.localCommand);

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function parse<T>(payload: Buffer, validate: Validator<T>): Parsed<T> {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  if (!validate(value)) {
    const e = validate.errors?.[0];
    return { ok: false, error: `${e?.instancePath || '/'} ${e?.message ?? 'is invalid'}` };
  }
  return { ok: true, value: value as T };
}

export const parseConsentResponse = (payload: Buffer) =>
  parse<ConsentResponse>(payload, validateConsentResponse);
export const parseCommand = (payload: Buffer) => parse<LocalCommand>(payload, validateCommand);
