/** Shapes of the messages the local API receives, checked with ajv before anything acts on them. */
import { createAjv } from '../../lib/json-schema.js';

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

const ajv = createAjv();

const validateConsentResponse = ajv.compile<ConsentResponse>({
  type: 'object',
  required: ['actionId', 'decision', 'by'],
  properties: {
    actionId: { type: 'string', minLength: 1, maxLength: 64 },
    decision: { enum: ['accept', 'deny'] },
    by: { type: 'string', minLength: 1, maxLength: 256 },
  },
});

const validateCommand = ajv.compile<LocalCommand>({
  type: 'object',
  required: ['command'],
  oneOf: [
    { properties: { command: { const: 'check' } } },
    {
      required: ['bundle'],
      properties: {
        command: { const: 'install' },
        bundle: { type: 'string', minLength: 1, maxLength: 4096 },
      },
    },
  ],
});

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function parse<T>(
  payload: Buffer,
  validate: ((v: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null },
): Parsed<T> {
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
