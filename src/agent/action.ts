/**
 * What the agent knows about the action in progress, persisted with the machine state (store.ts,
 * `current_action.context`). Everything the run loop needs after a restart is here or in files under
 * `<dataDir>/actions/<actionId>/`; nothing lives only in memory.
 */
import type { ModuleState, Progress } from '../recipe/status.js';

export interface ArtifactRef {
  id: string;
  filename: string;
  /** Software module type key (firmware, preinstall, releasenotes…). */
  type: string;
  size: number;
  sha256: string;
  /** Where it is downloaded from. */
  url: string;
  /** Where it lives once downloaded and checked. */
  path: string;
}

export interface PlannedModule {
  /** Module id from the system report. */
  id: string;
  /** Configured name. */
  name: string;
  /** What the module reported about itself when the plan was made (handlers read e.g. `smpMode`). */
  attributes?: Record<string, string>;
  /** Module update definition (recipe `_module.name`) or DDI chunk part. */
  definition: string;
  action: 'update' | 'skip';
  /** Handler key (image type); set for `update`. */
  handler?: string;
  image?: ArtifactRef;
  /** Every artifact of the image's distribution set (the image included). */
  artifacts: ArtifactRef[];
  fromVersion?: string;
  toVersion?: string;
  revertible: boolean;
  /** Modules on the same bus transfer one at a time. */
  bus: string;
  state: ModuleState;
  progress?: Progress;
  details: string[];
}

export interface ActionContext {
  /** `system`: SOUP system update; `ddi`: plain hawkBit deployment. */
  kind: 'system' | 'ddi';
  actionId: string;
  /** systemUpdate/{id} or deploymentBase/{id}. */
  href: string;
  feedbackUrl: string;
  recipe?: { id: string; name: string; version: string };
  handling: { download: string; update: string };
  maintenanceWindow?: { nextStartAt?: number; durationMs?: number; available?: boolean };
  /** DDI confirmationBase link when the server asks for the user's confirmation. */
  confirmationHref?: string;
  modules: PlannedModule[];
  /** preinstall / postinstall / shellscript artifacts. */
  scripts: ArtifactRef[];
  /** releasenotes / license artifacts offered with the consent request. */
  offers: ArtifactRef[];
  consent?: { decision: 'accept' | 'deny'; by: string };
  /** Installing from an offline bundle (`soup-agent install`): where it was unpacked. */
  offline?: { bundleDir: string };
  /** cancelAction link, once the server asked to cancel. */
  cancelHref?: string;
  startedAt: number;
}

export function newContext(
  kind: ActionContext['kind'],
  actionId: string,
  href: string,
  feedbackUrl: string,
  now: number,
): ActionContext {
  return {
    kind,
    actionId,
    href,
    feedbackUrl,
    handling: { download: 'forced', update: 'forced' },
    modules: [],
    scripts: [],
    offers: [],
    startedAt: now,
  };
}

/** Modules that get an image, in plan order. */
export function updating(ctx: ActionContext): PlannedModule[] {
  return ctx.modules.filter((m) => m.action === 'update');
}
