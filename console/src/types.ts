/** The Management API shapes the console reads (`management-api.md`). */
export interface Ref {
  id: number;
  name: string;
  version: string;
}

export interface ReportedModule {
  id: string;
  type?: string;
  name: string;
  status?: string;
  attributes: Record<string, string>;
}

export interface System {
  controllerId: string;
  name: string;
  scope: 'production' | 'testing';
  lastPollAt: number | null;
  lastReport: { modules?: ReportedModule[] } | null;
  lastReportAt?: number | null;
  matchedRecipe: Ref | null;
  matchedReleaseCandidateRecipe: Ref | null;
  installedRecipe: Ref | null;
  updateStatus: string;
  /** One line per candidate recipe that does not match. */
  matchReasons?: string[];
  /** `retry` is there when a retry would open an action. */
  _links?: Record<string, { href: string }>;
}

export interface ModuleFeedback {
  module: string;
  definition?: string;
  state: string;
  fromVersion?: string;
  toVersion?: string;
  progress?: { cnt: number; of: number };
  details?: string[];
}

export interface Feedback {
  feedbackId?: string;
  channel?: string;
  receivedAt: number;
  offline: boolean;
  timestamp?: number;
  phase?: string;
  status?: {
    execution?: string;
    result?: { finished?: string; progress?: { cnt: number; of: number } };
    details?: string[];
  };
  modules?: ModuleFeedback[];
}

export interface Action {
  id: number;
  kind: 'systemUpdate' | 'deployment';
  recipeId?: number;
  distributionSetId?: number;
  status: 'open' | 'finished' | 'canceled';
  result: 'success' | 'failure' | null;
  createdAt: number;
  closedAt?: number;
  feedback: Feedback[];
}

export interface ModuleDefinition {
  name: string;
  description?: string;
  match: string;
  count: string;
  distributionSetId?: number;
  metadata?: { imageType?: string; imageFileName?: string };
}

export interface ValidationIssue {
  severity: 'error' | 'warning';
  field: string;
  position?: number;
  message: string;
}

export type CoverageClass = 'VERY_HIGH' | 'HIGH' | 'MEDIUM' | 'LOW' | 'VERY_LOW' | 'NONE' | 'IN_PROGRESS';

export interface Recipe {
  id: number;
  name: string;
  version: string;
  description: string;
  modules: ModuleDefinition[];
  systemDistributionSets: number[];
  metadata: Record<string, string>;
  tags: string[];
  lifecycle: string;
  allowedTransitions: string[];
  validity: string;
  validationResult: ValidationIssue[];
  coverage: { class: CoverageClass; matched: number; total: number };
  published: string | null;
  fileSha256: string | null;
  createdBy?: string;
  lastModifiedAt?: number;
}

export interface SoftwareModule {
  id: number;
  name: string;
  version: string;
  type: string;
  vendor?: string;
  description?: string;
}

export interface Artifact {
  id: number;
  filename: string;
  size: number;
  hashes: { md5: string; sha1: string; sha256: string };
}

export interface DistributionSet {
  id: number;
  name: string;
  version: string;
  type: string;
  complete: boolean;
  modules: { id: number; name: string; version: string; type?: string }[];
}

export interface TypeEntry {
  id: number;
  key: string;
  name: string;
}
