/**
 * The documents the agent accepts from the backend (`install-api.md`, "What the agent accepts from the
 * backend") and their ajv schemas. Each schema checks what the agent reads, with bounds (string
 * lengths, list sizes); unknown fields are ignored, as the contract says. A document that does not
 * match fails its request with SOUP_E_HTTP_DOCUMENT and one line naming the key path.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { createAjv } from '../../lib/json-schema.js';
import { keyPath as pointerPath } from '../../lib/key-path.js';

/** The key path of a pointer, `(root)` for the whole document. */
const keyPath = (pointer: string, extra?: string): string => pointerPath(pointer, extra) || '(root)';

export interface Link {
  href: string;
}

export type Links = Record<string, Link | undefined>;

export interface RootPoll {
  config?: { polling?: { sleep?: string } };
  _links?: Links;
}

export interface SystemUpdateAction {
  id: string;
  recipe: { id: string; name: string; version: string; lifecycle?: string; published?: string };
  handling?: { download?: string; update?: string };
  maintenanceWindow?: { schedule?: string; duration?: string; timezone?: string; nextStartAt?: number };
  _links?: Links;
}

export interface DdiArtifact {
  filename: string;
  hashes: { sha1?: string; md5?: string; sha256?: string };
  size: number;
  _links?: Links;
}

export interface DdiDeployment {
  download?: string;
  update?: string;
  maintenanceWindow?: 'available' | 'unavailable';
  chunks: {
    part: string;
    version: string;
    name: string;
    artifacts?: DdiArtifact[];
    metadata?: { key: string; value: string }[];
  }[];
}

export interface DdiDeploymentBase {
  id: string;
  deployment: DdiDeployment;
  actionHistory?: unknown;
}

/** `deploymentBase/{id}`, or `confirmationBase/{id}` (which carries the deployment under `confirmation`). */
export interface DdiActionDocument {
  id: string;
  deployment?: DdiDeployment;
  confirmation?: DdiDeployment;
  actionHistory?: unknown;
}

export interface CancelAction {
  id: string;
  cancelAction?: { stopId?: string };
}

export interface SignatureList {
  signatures: { id?: string; format?: string; value: string }[];
}

export interface ErrorBody {
  errorCode?: string;
  message?: string;
}

/** A document type: its name (for messages) and its validator. */
export interface DocumentKind<T> {
  name: string;
  validate: ValidateFunction<T>;
}

const ajv = createAjv();

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

function kind<T>(name: string, schema: object): DocumentKind<T> {
  return { name, validate: ajv.compile<T>(schema) };
}

export const ROOT_POLL = kind<RootPoll>('root poll', {
  type: 'object',
  properties: {
    config: {
      type: 'object',
      properties: { polling: { type: 'object', properties: { sleep: text(64) } } },
    },
    _links: LINKS,
  },
});

export const SYSTEM_UPDATE = kind<SystemUpdateAction>('system update action', {
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
});

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

export const DDI_ACTION = kind<DdiActionDocument>('DDI action', {
  type: 'object',
  required: ['id'],
  properties: { id: ID, deployment: DEPLOYMENT, confirmation: DEPLOYMENT },
  anyOf: [{ required: ['deployment'] }, { required: ['confirmation'] }],
});

export const CANCEL_ACTION = kind<CancelAction>('cancel action', {
  type: 'object',
  required: ['id'],
  properties: { id: ID, cancelAction: { type: 'object', properties: { stopId: ID } } },
});

export const SIGNATURES = kind<SignatureList>('signature list', {
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
});

export const ERROR_BODY = kind<ErrorBody>('error body', {
  type: 'object',
  properties: { errorCode: text(256), message: text(1024) },
});

/** One line for the first fault: key path and what is wrong with it. */
export function describeFault(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (e === undefined) return '(root) is invalid';
  // DDI_ACTION's one alternative: deployment or confirmation
  if (e.schemaPath.startsWith('#/anyOf/')) return 'deployment (or confirmation) is missing';
  if (e.keyword === 'required')
    return `${keyPath(e.instancePath, String(e.params.missingProperty))} is missing`;
  if (e.keyword === 'enum')
    return `${keyPath(e.instancePath)} must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`;
  return `${keyPath(e.instancePath)} ${e.message ?? 'is invalid'}`;
}
