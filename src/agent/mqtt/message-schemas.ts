/**
 * The JSON Schemas of the messages the local API receives (mqtt/messages.ts), as plain data:
 * `node scripts/gen-validators.mjs` compiles them at build time into src/generated/mqtt-messages.js,
 * which the agent runs. Edit here, then run the generator. Self-contained (no imports), so the
 * generator can load it straight from the source.
 */

const consentResponse = {
  type: 'object',
  required: ['actionId', 'decision', 'by'],
  properties: {
    actionId: { type: 'string', minLength: 1, maxLength: 64 },
    decision: { enum: ['accept', 'deny'] },
    by: { type: 'string', minLength: 1, maxLength: 256 },
  },
};

const localCommand = {
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
};

/** Every message schema by the name of its generated validator. */
export const MESSAGE_SCHEMAS = { consentResponse, localCommand };
