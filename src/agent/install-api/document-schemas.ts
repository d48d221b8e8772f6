/**
 * The JSON Schemas of the documents the agent accepts from the backend (install-api/documents.ts), as
 * plain data: `node scripts/gen-validators.mjs` compiles them at build time into
 * src/generated/install-api-documents.js, which the agent runs. Edit here, then run the generator.
 * Self-contained (no imports), so the generator can load it straight from the source.
 */

const text = (max: number) => ({ type: 'string', maxLength: max });
const ID = { type: 'string', minLength: 1, maxLength: 128 };
const LINK = {
  type: 'object',
  required: ['href'],
  properties: { href: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^https?://[^\\s]+$' } },
};
/** Relations the agent follows; others are ignored whatever their shape. */
const LINKS = {
  type: 'object',
  properties: Object.fromEntries(
    [
      'systemUpdate',
      'systemReport',
      'deploymentBase',
      'confirmationBase',
      'cancelAction',
      'configData',
      'recipeFile',
      'signatures',
      'feedback',
      'download',
      'download-http',
    ].map((rel) => [rel, LINK]),
  ),
};
const HANDLING = { enum: ['skip', 'attempt', 'forced'] };

const rootPoll = {
  type: 'object',
  properties: {
    config: {
      type: 'object',
      properties: { polling: { type: 'object', properties: { sleep: text(64) } } },
    },
    _links: LINKS,
  },
};

const systemUpdate = {
  type: 'object',
  required: ['id', 'recipe'],
  properties: {
    id: ID,
    recipe: {
      type: 'object',
      required: ['id', 'name', 'version'],
      properties: { id: ID, name: ID, version: ID, lifecycle: text(64), published: text(64) },
    },
    handling: { type: 'object', properties: { download: HANDLING, update: HANDLING } },
    maintenanceWindow: {
      type: 'object',
      properties: {
        schedule: text(256),
        duration: text(64),
        timezone: text(64),
        nextStartAt: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
      },
    },
    _links: LINKS,
  },
};

const DEPLOYMENT = {
  type: 'object',
  required: ['chunks'],
  properties: {
    download: HANDLING,
    update: HANDLING,
    maintenanceWindow: { enum: ['available', 'unavailable'] },
    chunks: {
      type: 'array',
      maxItems: 1024,
      items: {
        type: 'object',
        required: ['part', 'version', 'name'],
        properties: {
          part: ID,
          version: ID,
          name: text(256),
          artifacts: {
            type: 'array',
            maxItems: 1024,
            items: {
              type: 'object',
              required: ['filename', 'hashes', 'size'],
              properties: {
                filename: { type: 'string', minLength: 1, maxLength: 256 },
                hashes: {
                  type: 'object',
                  properties: {
                    sha1: { type: 'string', pattern: '^[0-9a-fA-F]{40}$' },
                    md5: { type: 'string', pattern: '^[0-9a-fA-F]{32}$' },
                    sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' },
                  },
                },
                size: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
                _links: LINKS,
              },
            },
          },
          metadata: {
            type: 'array',
            maxItems: 1024,
            items: {
              type: 'object',
              required: ['key', 'value'],
              properties: { key: text(1024), value: text(65536) },
            },
          },
        },
      },
    },
  },
};

const ddiAction = {
  type: 'object',
  required: ['id'],
  properties: { id: ID, deployment: DEPLOYMENT, confirmation: DEPLOYMENT },
  anyOf: [{ required: ['deployment'] }, { required: ['confirmation'] }],
};

const cancelAction = {
  type: 'object',
  required: ['id'],
  properties: { id: ID, cancelAction: { type: 'object', properties: { stopId: ID } } },
};

const signatures = {
  type: 'object',
  required: ['signatures'],
  properties: {
    signatures: {
      type: 'array',
      maxItems: 64,
      items: {
        type: 'object',
        required: ['value'],
        properties: {
          id: text(128),
          format: text(32),
          value: { type: 'string', minLength: 1, maxLength: 65536 },
        },
      },
    },
  },
};

const errorBody = {
  type: 'object',
  properties: { errorCode: text(256), message: text(1024) },
};

/** Every document schema by the name of its generated validator. */
export const DOCUMENT_SCHEMAS = { rootPoll, systemUpdate, ddiAction, cancelAction, signatures, errorBody };
