/**
 * The documents the agent accepts from the backend (`install-api.md`, "What the agent accepts from the
 * backend") and their validators, generated at build time from install-api/document-schemas.ts. Each
 * schema checks what the agent reads, with bounds (string lengths, list sizes); unknown fields are
 * ignored, as the contract says. A document that does not match fails its request with
 * SOUP_E_HTTP_DOCUMENT and one line naming the key path.
 */
import type { ErrorObject } from 'ajv';
import * as generated from '../../generated/install-api-documents.js';
import { keyPath as pointerPath } from '../../lib/key-path.js';
import { type Validator, validatorOf } from '../../lib/validator.js';

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
  validate: Validator<T>;
}

function kind<T>(name: string, validate: Validator): DocumentKind<T> {
  return { name, validate: validatorOf<T>(validate) };
}

export const ROOT_POLL = kind<RootPoll>('root poll', generated.rootPoll);
export const SYSTEM_UPDATE = kind<SystemUpdateAction>('system update action', generated.systemUpdate);
export const DDI_ACTION = kind<DdiActionDocument>('DDI action', generated.ddiAction);
export const CANCEL_ACTION = kind<CancelAction>('cancel action', generated.cancelAction);
export const SIGNATURES = kind<SignatureList>('signature list', generated.signatures);
export const ERROR_BODY = kind<ErrorBody>('error body', generated.errorBody);

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
