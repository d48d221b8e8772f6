/**
 * The JSON Schema of an offline bundle's `bundle.json` (bundle/manifest.ts), as plain data:
 * `node scripts/gen-validators.mjs` compiles it at build time into src/generated/bundle-manifest.js,
 * which the agent runs. Edit here, then run the generator. Self-contained (no imports), so the
 * generator can load it straight from the source.
 */

/** The `format` of every bundle this agent makes and reads. */
export const BUNDLE_FORMAT = 'soup-bundle/1';

const ID = { type: 'string', minLength: 1, maxLength: 128 };

const bundleManifest = {
  type: 'object',
  required: ['format', 'tenant', 'controllerId', 'actionId', 'recipe', 'createdAt'],
  properties: {
    format: { const: BUNDLE_FORMAT },
    tenant: ID,
    controllerId: ID,
    actionId: { type: 'string', pattern: '^[0-9]{1,15}$' },
    recipe: {
      type: 'object',
      required: ['id', 'name', 'version'],
      properties: { id: ID, name: ID, version: ID },
    },
    createdAt: { type: 'string', minLength: 1, maxLength: 64 },
  },
};

/** The manifest schema by the name of its generated validator. */
export const MANIFEST_SCHEMAS = { bundleManifest };
